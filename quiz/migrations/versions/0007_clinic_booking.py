"""clinic_booking: a clinic may show its booking page inline on the thanks screen

clinics.booking_inline is false for every existing clinic: their booking link stays a
button, as before.

Revision ID: 0007_clinic_booking
Revises: 0006_invites_notify
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_clinic_booking"
down_revision = "0006_invites_notify"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("clinics", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("booking_inline", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("clinics", schema=None) as batch_op:
        batch_op.drop_column("booking_inline")
