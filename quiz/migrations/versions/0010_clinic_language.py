"""clinic_language: a clinic's language becomes optional

A clinic without one shows each visitor the quiz in their browser's language
(Accept-Language), then English. Existing clinics keep the language they have.

Revision ID: 0010_clinic_language
Revises: 0009_lead_corrections
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_clinic_language"
down_revision = "0009_lead_corrections"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("clinics", schema=None) as batch_op:
        batch_op.alter_column("language", existing_type=sa.String(length=8), nullable=True)


def downgrade():
    # A clinic that followed the browser gets English, the default before this revision.
    op.execute("UPDATE clinics SET language = 'en' WHERE language IS NULL")
    with op.batch_alter_table("clinics", schema=None) as batch_op:
        batch_op.alter_column("language", existing_type=sa.String(length=8), nullable=False)
