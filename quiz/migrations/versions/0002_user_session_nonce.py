"""users.session_nonce: sessions that end on the server

Every session id now carries the account's nonce, so giving the account a new one (on
sign-out, a new password or disabling) ends all its sessions. Existing accounts get a
random nonce each; sessions opened before the upgrade are signed out once.

Revision ID: 0002_user_session_nonce
Revises: 0001_initial
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0002_user_session_nonce"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

users = sa.table("users", sa.column("id", sa.Integer), sa.column("session_nonce", sa.String))


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_nonce", sa.String(length=32), nullable=True))
    connection = op.get_bind()
    # One nonce per account, never a shared constant: a server default would give every
    # account the same value, which is as good as none.
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(session_nonce=secrets.token_urlsafe(16))
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("session_nonce", existing_type=sa.String(length=32), nullable=False)


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_nonce")
