"""notices (交办通知单): notices, their recipients and events

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    pass  # filled in by the notices feature


def downgrade():
    pass
