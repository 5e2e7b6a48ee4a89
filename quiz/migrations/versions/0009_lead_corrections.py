"""lead_corrections: corrections stored as new leads, idempotency keys bound to requests

leads.run_id names the visitor's quiz run (filled in from submission_id for leads sent
through the quiz before: their submission id was the run id), and leads.corrects_lead_id the
earlier lead of the same person on that run a lead corrects. idempotency_records.request_hash
holds the SHA-256 of the request (body and bearer token) a key was first sent with; its
answer is replayed only to that request.

Revision ID: 0009_lead_corrections
Revises: 0008_click_ids
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_lead_corrections"
down_revision = "0008_click_ids"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_hash", sa.String(length=64), nullable=True))
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("run_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("corrects_lead_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_leads_clinic_run", ["clinic_id", "run_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_leads_corrects_lead_id_leads",
            "leads",
            ["corrects_lead_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute(
        "UPDATE leads SET run_id = submission_id "
        "WHERE submission_id NOT LIKE 'api:%' AND length(submission_id) <= 32"
    )


def downgrade():
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_constraint("fk_leads_corrects_lead_id_leads", type_="foreignkey")
        batch_op.drop_index("ix_leads_clinic_run")
        batch_op.drop_column("corrects_lead_id")
        batch_op.drop_column("run_id")
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.drop_column("request_hash")
