"""sign_in_locks: the sign-in lock per email and network, not per account

Failed sign-ins are counted per email and network in their own table, so an outsider's
failures no longer lock the account for its owner; the account-wide counter and lock on
users go. Locks in force at the upgrade are lifted.

Revision ID: 0003_sign_in_locks
Revises: 0002_user_session_nonce
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_sign_in_locks"
down_revision = "0002_user_session_nonce"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sign_in_locks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("network", sa.String(length=50), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email", "network", name="uq_sign_in_locks_pair"),
    )
    with op.batch_alter_table("sign_in_locks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sign_in_locks_window_started_at"), ["window_started_at"], unique=False
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("locked_until")


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("sign_in_locks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_locks_window_started_at"))
    op.drop_table("sign_in_locks")
