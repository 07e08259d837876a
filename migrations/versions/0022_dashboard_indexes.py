"""indexes for the leaders' dashboard at province size (issue 14): problems by the time they were
resolved (新办结, 按期办结率 of a period, the league's per-department rates, the trend's closed bars)

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


def downgrade():
    op.drop_index("ix_issue_resolved_at", table_name="issue")
