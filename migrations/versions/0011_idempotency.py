"""idempotency keys: a create form or API call repeated answers with its first result

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    pass  # filled in by the idempotency work


def downgrade():
    pass
