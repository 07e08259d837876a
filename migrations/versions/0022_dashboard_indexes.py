"""indexes for the leaders' dashboard at province size (issue 14): problems by the time they were
resolved (新办结, 按期办结率 of a period, the league's per-department rates, the trend's closed bars), and an
enterprise's problems by category and date (the categories chart's repeat rate: 13.7 s → 46 ms at 200,060)

Revision ID: 0022
Revises: 0021
"""
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_issue_resolved_at", "issue", ["resolved_at"])
    op.create_index("ix_issue_ent_cat_received", "issue", ["enterprise_id", "category_id", "received_on"])


def downgrade():
    op.drop_index("ix_issue_ent_cat_received", table_name="issue")
    op.drop_index("ix_issue_resolved_at", table_name="issue")
