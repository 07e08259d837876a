"""the office's home-page queues at province size (issue 11): a problem remembers its last 退回
(``issue.returned_at``, backfilled from the ledger's events) so that 待转办 / 被退回 count on an index
instead of probing a million events per accepted problem; partial indexes for 延期申请待审批 and
“无法解决”申请待研判; an enterprise's visits by date (本周已走访: SQLite probed every visit of each
enterprise, 300 ms at 10,000 enterprises) (docs/notifications.md)

Revision ID: 0023
Revises: 0022
"""
import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("issue", sa.Column("returned_at", sa.DateTime(), nullable=True))
    op.execute("""
        UPDATE issue SET returned_at = (
            SELECT max(e.at) FROM issue_event e WHERE e.issue_id = issue.id AND e.action = 'return')
        WHERE id IN (SELECT issue_id FROM issue_event WHERE action = 'return')""")
    op.create_index("ix_issue_status_returned", "issue", ["status", "returned_at"])
    op.create_index("ix_issue_pending", "issue", ["status"], sqlite_where=sa.text("pending_due IS NOT NULL"),
                    postgresql_where=sa.text("pending_due IS NOT NULL"))
    op.create_index("ix_issue_unable", "issue", ["status"], sqlite_where=sa.text("unable_requested = 1"),
                    postgresql_where=sa.text("unable_requested"))
    op.create_index("ix_visit_enterprise_date", "visit", ["enterprise_id", "visit_date"])


def downgrade():
    op.drop_index("ix_visit_enterprise_date", table_name="visit")
    op.drop_index("ix_issue_unable", table_name="issue")
    op.drop_index("ix_issue_pending", table_name="issue")
    op.drop_index("ix_issue_status_returned", table_name="issue")
    # a plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): a batch copy would drop the table that
    # events, co-departments and notices point at, which SQLite's foreign keys refuse
    op.drop_column("issue", "returned_at")
