"""follow_up: lost reasons, assignment, follow-up times and reminders, returning visitors

A lead set to lost keeps why (leads.lost_reason, lost_note; the status change records it for
the timeline); a lead can be assigned to a staff member (leads.assignee_id, with
lead_assignments for the timeline); each clinic has a follow-up time and optional working
hours, and a reminder digest notes the day it named a lead (leads.reminded_on) and carries
its leads in deliveries.payload; keyed blind indexes of the email and phone
(leads.email_key, phone_key) find a returning visitor, linked by leads.returning_of_id.
The indexes of the leads already stored are computed here, so a visitor coming back soon
after the upgrade is matched too (earlier leads are not marked returning themselves).

Revision ID: 0011_follow_up
Revises: 0010_clinic_language
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011_follow_up"
down_revision = "0010_clinic_language"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BATCH = 1000


def upgrade():
    # Only ADD COLUMN and new tables: on SQLite anything more rebuilds a table, and with
    # foreign keys on, dropping the old copy of a table deletes the rows that refer to it.
    op.add_column(
        "clinics", sa.Column("follow_up_hours", sa.Float(), server_default="24", nullable=False)
    )
    op.add_column("clinics", sa.Column("working_hours", sa.String(length=11), nullable=True))
    for column in (
        sa.Column("lost_reason", sa.String(length=20), nullable=True),
        sa.Column("lost_note", sa.String(length=500), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("email_key", sa.String(length=64), nullable=True),
        sa.Column("phone_key", sa.String(length=64), nullable=True),
        sa.Column("returning_of_id", sa.Integer(), nullable=True),
        sa.Column("reminded_on", sa.Date(), nullable=True),
    ):
        op.add_column("leads", column)
    op.create_index("ix_leads_lost_reason", "leads", ["lost_reason"], unique=False)
    op.create_index("ix_leads_assignee_id", "leads", ["assignee_id"], unique=False)
    op.create_index("ix_leads_returning_of_id", "leads", ["returning_of_id"], unique=False)
    op.create_index("ix_leads_clinic_email_key", "leads", ["clinic_id", "email_key"])
    op.create_index("ix_leads_clinic_phone_key", "leads", ["clinic_id", "phone_key"])
    op.add_column("lead_status_changes", sa.Column("reason", sa.String(length=20)))
    op.add_column("lead_status_changes", sa.Column("reason_text", sa.String(length=500)))
    op.add_column("deliveries", sa.Column("payload", JSON, nullable=True))
    op.create_table(
        "lead_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_lead_assignments_lead_id", "lead_assignments", ["lead_id"])
    _index_stored_leads()


def _index_stored_leads():
    """Compute the blind indexes of every stored lead, a batch at a time."""
    # The app's own rule (normalisation, key derivation), as new leads get it.
    from flask import current_app

    from quiz.followup import blind_index, index_key, normal_email, normal_phone

    key = index_key(current_app.config["SECRET_KEY"])
    leads = sa.table(
        "leads",
        sa.column("id", sa.Integer),
        sa.column("email", sa.String),
        sa.column("phone", sa.String),
        sa.column("email_key", sa.String),
        sa.column("phone_key", sa.String),
    )
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(leads.c.id, leads.c.email, leads.c.phone)
            .where(leads.c.id > last)
            .order_by(leads.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for lead_id, email, phone in rows:
            bind.execute(
                leads.update()
                .where(leads.c.id == lead_id)
                .values(
                    email_key=blind_index(key, "email", normal_email(email)),
                    phone_key=blind_index(key, "phone", normal_phone(phone)),
                )
            )
        last = rows[-1][0]


def downgrade():
    op.drop_index("ix_lead_assignments_lead_id", table_name="lead_assignments")
    op.drop_table("lead_assignments")
    # Digests have no lead to keep.
    op.execute("DELETE FROM deliveries WHERE channel = 'reminder'")
    op.drop_column("deliveries", "payload")
    op.drop_column("lead_status_changes", "reason_text")
    op.drop_column("lead_status_changes", "reason")
    for index in (
        "ix_leads_clinic_phone_key",
        "ix_leads_clinic_email_key",
        "ix_leads_returning_of_id",
        "ix_leads_assignee_id",
        "ix_leads_lost_reason",
    ):
        op.drop_index(index, table_name="leads")
    for column in (
        "reminded_on",
        "returning_of_id",
        "phone_key",
        "email_key",
        "assignee_id",
        "lost_note",
        "lost_reason",
    ):
        op.drop_column("leads", column)
    op.drop_column("clinics", "working_hours")
    op.drop_column("clinics", "follow_up_hours")
