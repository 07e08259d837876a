"""the office's day: list, form, report-draft and master-data fixes (issue 9)

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    # a report draft keeps the officer's own text apart from the facts the portal derives, and the
    # facts as they were last saved (so the page can show what changed since): app/duties.py
    with op.batch_alter_table("report") as batch:
        batch.add_column(sa.Column("notes", sa.Text(), nullable=True))
        batch.add_column(sa.Column("facts", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("report") as batch:
        batch.drop_column("facts")
        batch.drop_column("notes")
