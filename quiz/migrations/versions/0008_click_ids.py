"""click_ids: ad click ids and ad-measurement consent on leads, conversion settings on clinics

Each lead records whether the visitor gave ad-measurement consent and, only then, the ad
platforms' click ids (gclid, gbraid, wbraid, fbclid, msclkid, ttclid, li_fat_id). Clinics
get the name, value and currency of the offline conversions exported for them.

Revision ID: 0008_click_ids
Revises: 0007_clinic_booking
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_click_ids"
down_revision = "0007_clinic_booking"
branch_labels = None
depends_on = None

CLICK_IDS = (
    ("gclid", 100),
    ("gbraid", 100),
    ("wbraid", 100),
    ("fbclid", 500),
    ("msclkid", 100),
    ("ttclid", 500),
    ("li_fat_id", 100),
)


def upgrade():
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ad_consent", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        for name, length in CLICK_IDS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))
    with op.batch_alter_table("clinics", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conversion_name", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("conversion_value", sa.Numeric(precision=12, scale=2), nullable=True)
        )
        batch_op.add_column(sa.Column("conversion_currency", sa.String(length=3), nullable=True))


def downgrade():
    with op.batch_alter_table("clinics", schema=None) as batch_op:
        batch_op.drop_column("conversion_currency")
        batch_op.drop_column("conversion_value")
        batch_op.drop_column("conversion_name")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        for name, _ in reversed(CLICK_IDS):
            batch_op.drop_column(name)
        batch_op.drop_column("ad_consent")
