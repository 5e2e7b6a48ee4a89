"""invites_notify: accounts by invitation, password-reset links, chat notifications

Accounts may exist before their owner chooses a password (users.password_hash is NULL until
then); account_tokens holds the SHA-256 of each invitation or reset link. Deliveries may
belong to an account instead of a lead (the mails with those links), and clinics get a chat
webhook told of each new lead (clinics.notify_url).

Revision ID: 0006_invites_notify
Revises: 0003_sign_in_locks
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_invites_notify"
down_revision = "0003_sign_in_locks"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "account_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("account_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_tokens_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("clinics", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notify_url", sa.String(length=500), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("password_hash", existing_type=sa.String(length=255), nullable=True)
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.alter_column("lead_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("clinic_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f("ix_deliveries_user_id"), ["user_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_deliveries_user_id_users", "users", ["user_id"], ["id"], ondelete="CASCADE"
        )


def downgrade():
    # Account mails have no lead to keep; accounts that never chose a password cannot sign in.
    op.execute("DELETE FROM deliveries WHERE lead_id IS NULL OR clinic_id IS NULL")
    op.execute("DELETE FROM users WHERE password_hash IS NULL")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint("fk_deliveries_user_id_users", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_deliveries_user_id"))
        batch_op.alter_column("clinic_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("lead_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("user_id")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("password_hash", existing_type=sa.String(length=255), nullable=False)
    with op.batch_alter_table("clinics", schema=None) as batch_op:
        batch_op.drop_column("notify_url")
    with op.batch_alter_table("account_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_tokens_user_id"))
    op.drop_table("account_tokens")
