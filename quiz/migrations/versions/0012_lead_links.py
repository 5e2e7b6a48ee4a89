"""lead_links: foreign keys on a lead's assignee and on the earlier lead it returns to

0011_follow_up added leads.assignee_id and leads.returning_of_id without foreign keys, to
avoid rebuilding the leads table on SQLite while a rebuild could delete what refers to it;
the migrations now run with foreign keys off (see env.py), so the keys are added here. An
assignee or earlier lead that no longer exists is cleared first, as the keys would require.

Revision ID: 0012_lead_links
Revises: 0011_follow_up
"""

from alembic import op

revision = "0012_lead_links"
down_revision = "0011_follow_up"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "UPDATE leads SET assignee_id = NULL WHERE assignee_id IS NOT NULL"
        " AND assignee_id NOT IN (SELECT id FROM users)"
    )
    op.execute(
        "UPDATE leads SET returning_of_id = NULL WHERE returning_of_id IS NOT NULL"
        " AND returning_of_id NOT IN (SELECT id FROM leads)"
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
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


def downgrade():
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_constraint("fk_leads_returning_of_id_leads", type_="foreignkey")
        batch_op.drop_constraint("fk_leads_assignee_id_users", type_="foreignkey")
