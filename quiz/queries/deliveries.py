"""Deliveries as the back office sees them: the failed ones, and one, within a user's scope."""

from __future__ import annotations

from quiz.auth import Scope
from quiz.extensions import db
from quiz.models import Delivery


def _scoped(stmt, scope: Scope):
    # A staff account without a clinic sees none: clinic_id = NULL never holds.
    return stmt if scope.everything else stmt.where(Delivery.clinic_id == scope.clinic_id)


def failed_deliveries(scope: Scope) -> list[Delivery]:
    """Return the deliveries that gave up which `scope` may see, newest first."""
    stmt = _scoped(db.select(Delivery).where(Delivery.status == "failed"), scope)
    stmt = stmt.order_by(Delivery.created_at.desc(), Delivery.id.desc())
    return list(db.session.execute(stmt).scalars())


def get_delivery(scope: Scope, delivery_id: int) -> Delivery | None:
    """Return the delivery with that id if `scope` may see it, else None."""
    stmt = _scoped(db.select(Delivery).where(Delivery.id == delivery_id), scope)
    return db.session.execute(stmt).scalar_one_or_none()
