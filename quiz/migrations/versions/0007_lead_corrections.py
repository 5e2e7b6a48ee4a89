"""lead_corrections: idempotency keys bound to their request

idempotency_records.request_hash holds the SHA-256 of the request (body and bearer token) a
key was first sent with; its answer is replayed only to that request.

Revision ID: 0007_lead_corrections
Revises: 0006_invites_notify
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_lead_corrections"
down_revision = "0006_invites_notify"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_hash", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.drop_column("request_hash")
