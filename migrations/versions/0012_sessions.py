"""sessions and credentials: a per-account token version that ends sessions and tokens at once

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    pass  # filled in by the sessions work


def downgrade():
    pass
