"""ledger indexes: issue (lead_department_id, enterprise_id) for a department's scope

A department sees the enterprises whose problems it leads (app.scope.enterprise_ids); with this
index both databases read those enterprise ids off the index alone instead of fetching ~10,000
issue rows per page view (bench/README.md: department inbox at 200,000 issues).

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_issue_lead_enterprise", "issue", ["lead_department_id", "enterprise_id"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and bind.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
        # SQLite plans with the statistics of ANALYZE when it has them; an index without them is
        # costed blindly and can be preferred over the right one, so count it in like the others.
        op.execute("ANALYZE issue")


def downgrade():
    op.drop_index("ix_issue_lead_enterprise", table_name="issue")
