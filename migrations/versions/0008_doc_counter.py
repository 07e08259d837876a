"""doc counter: one gapless yearly counter per document kind (issue, and the notices, meetings
and cases to come) instead of the issue-only counter; the issue's counts carry over.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "doc_counter",
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "year"),
    )
    op.execute("INSERT INTO doc_counter (kind, year, last) SELECT 'issue', year, last FROM issue_counter")
    op.drop_table("issue_counter")


def downgrade():
    op.create_table(
        "issue_counter",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    op.execute("INSERT INTO issue_counter (year, last) SELECT year, last FROM doc_counter WHERE kind = 'issue'")
    op.drop_table("doc_counter")
