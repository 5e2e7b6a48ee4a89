"""follow_up: lost reasons, assignment, follow-up times and reminders, returning visitors

A lead set to lost keeps why (leads.lost_reason, lost_note; the status change records it for
the timeline); a lead can be assigned to a staff member (leads.assignee_id, with
lead_assignments for the timeline); each clinic has a follow-up time and optional working
hours, and a reminder digest notes the day it named a lead (leads.reminded_on) and carries
its leads in deliveries.payload; keyed blind indexes of the email and phone
(leads.email_key, phone_key) find a returning visitor, linked by leads.returning_of_id.

Revision ID: 0011_follow_up
Revises: 0006_invites_notify
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011_follow_up"
down_revision = "0006_invites_notify"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    with op.batch_alter_table("clinics", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("follow_up_hours", sa.Float(), server_default="24", nullable=False)
        )
        batch_op.add_column(sa.Column("working_hours", sa.String(length=11), nullable=True))
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lost_reason", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("lost_note", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("email_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("phone_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("returning_of_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reminded_on", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_leads_lost_reason"), ["lost_reason"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_leads_returning_of_id"), ["returning_of_id"], unique=False
        )
        batch_op.create_index(
            "ix_leads_clinic_email_key", ["clinic_id", "email_key"], unique=False
        )
        batch_op.create_index(
            "ix_leads_clinic_phone_key", ["clinic_id", "phone_key"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_leads_assignee_id_users", "users", ["assignee_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            "fk_leads_returning_of_id_leads",
            "leads",
            ["returning_of_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("lead_status_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("reason_text", sa.String(length=500), nullable=True))
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload", JSON, nullable=True))
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
    with op.batch_alter_table("lead_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_assignments_lead_id"), ["lead_id"], unique=False)


def downgrade():
    with op.batch_alter_table("lead_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_assignments_lead_id"))
    op.drop_table("lead_assignments")
    # Digests have no lead to keep.
    op.execute("DELETE FROM deliveries WHERE channel = 'reminder'")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("payload")
    with op.batch_alter_table("lead_status_changes", schema=None) as batch_op:
        batch_op.drop_column("reason_text")
        batch_op.drop_column("reason")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_constraint("fk_leads_returning_of_id_leads", type_="foreignkey")
        batch_op.drop_constraint("fk_leads_assignee_id_users", type_="foreignkey")
        batch_op.drop_index("ix_leads_clinic_phone_key")
        batch_op.drop_index("ix_leads_clinic_email_key")
        batch_op.drop_index(batch_op.f("ix_leads_returning_of_id"))
        batch_op.drop_index(batch_op.f("ix_leads_assignee_id"))
        batch_op.drop_index(batch_op.f("ix_leads_lost_reason"))
        for column in (
            "reminded_on",
            "returning_of_id",
            "phone_key",
            "email_key",
            "assignee_id",
            "lost_note",
            "lost_reason",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("clinics", schema=None) as batch_op:
        batch_op.drop_column("working_hours")
        batch_op.drop_column("follow_up_hours")
