"""The audit log's one writer: every security-relevant action is recorded through add_audit."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from quiz.models import AuditEntry

# The columns' widths (models.AuditEntry): cut here rather than fail the caller's transaction.
_ACTOR_LENGTH = 254
_ACTION_LENGTH = 40


def add_audit(session: Session, actor: str | None, action: str, detail: dict[str, Any]) -> None:
    """Add an audit entry to the caller's transaction (never a password or health data)."""
    # Never an erased person's address either: the log must not become a copy of what went.
    # Joining the caller's transaction, not committing one of its own: the entry is stored
    # exactly when the action it records is.
    session.add(
        AuditEntry(
            actor=(actor or "system")[:_ACTOR_LENGTH],
            action=action[:_ACTION_LENGTH],
            detail=detail,
        )
    )
