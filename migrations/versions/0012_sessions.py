"""sessions and credentials: a per-account token version that ends sessions and tokens at once

Revision ID: 0012
Revises: 0011

``account_state.token_version`` (bumped on lockout, deactivation and password change; every web
session and JWT carries it), ``login_session`` (one row per web login: logout ends it on the
server) and ``login_failure`` (recent failed logins per account and client address: per-address
throttling before the account-wide lock). See docs/architecture.md#security.
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("account_state", sa.Column("token_version", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "login_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["ab_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_session_user_id", "login_session", ["user_id"], unique=False)
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["ab_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failure_user_at", "login_failure", ["user_id", "at"], unique=False)


def downgrade():
    op.drop_index("ix_login_failure_user_at", table_name="login_failure")
    op.drop_table("login_failure")
    op.drop_index("ix_login_session_user_id", table_name="login_session")
    op.drop_table("login_session")
    with op.batch_alter_table("account_state") as batch:
        batch.drop_column("token_version")
