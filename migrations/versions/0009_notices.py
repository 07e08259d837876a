"""notices (交办通知单): notices, their recipients and events

``notice.decision_id`` has no foreign key yet: the meeting decisions' table comes with migration
0010 (meetings), which adds it.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _notice_columns():
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("urgency", sa.String(length=4), nullable=True),
        sa.Column("cc", sa.String(length=300), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("feedback_cycle", sa.String(length=10), nullable=False),
        sa.Column("next_feedback_on", sa.Date(), nullable=True),
        sa.Column("acknowledge_due", sa.Date(), nullable=True),
        sa.Column("drafted_by_id", sa.Integer(), nullable=True),
        sa.Column("drafted_at", sa.DateTime(), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("return_reason", sa.String(length=500), nullable=True),
        sa.Column("registered_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("delivery", sa.String(length=10), nullable=True),
        sa.Column("delivery_note", sa.String(length=500), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("reply_text", sa.Text(), nullable=True),
        sa.Column("reply_attachment_id", sa.Integer(), nullable=True),
        sa.Column("replied_at", sa.DateTime(), nullable=True),
        sa.Column("verified_at", sa.DateTime(), nullable=True),
        sa.Column("verified_by_id", sa.Integer(), nullable=True),
        sa.Column("rework_count", sa.Integer(), nullable=False),
        sa.Column("extension_due", sa.Date(), nullable=True),
        sa.Column("extension_reason", sa.String(length=500), nullable=True),
        sa.Column("objection_reason", sa.String(length=500), nullable=True),
        sa.Column("objected_at", sa.DateTime(), nullable=True),
        sa.Column("objection_decided_at", sa.DateTime(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("explained_at", sa.DateTime(), nullable=True),
        sa.Column("document_sha256", sa.String(length=64), nullable=True),
        sa.Column("document_attachment_id", sa.Integer(), nullable=True),
        sa.Column("voided_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["issue_id"], ["issue.id"]),
        sa.ForeignKeyConstraint(["drafted_by_id"], ["ab_user.id"]),
        sa.ForeignKeyConstraint(["approved_by_id"], ["ab_user.id"]),
        sa.ForeignKeyConstraint(["verified_by_id"], ["ab_user.id"]),
        sa.ForeignKeyConstraint(["reply_attachment_id"], ["attachment.id"]),
        sa.ForeignKeyConstraint(["document_attachment_id"], ["attachment.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
        sa.UniqueConstraint("year", "seq", name="uq_notice_year_seq"),
    ]


def upgrade():
    op.create_table("notice", *_notice_columns())
    op.create_index("ix_notice_status", "notice", ["status"], unique=False)
    op.create_index("ix_notice_issue_id", "notice", ["issue_id"], unique=False)
    op.create_index("ix_notice_decision_id", "notice", ["decision_id"], unique=False)
    op.create_index("ix_notice_due_on", "notice", ["due_on"], unique=False)
    op.create_index("ix_notice_status_due", "notice", ["status", "due_on"], unique=False)
    op.create_table(
        "notice_recipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=4), nullable=False),
        sa.ForeignKeyConstraint(["notice_id"], ["notice.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notice_id", "department_id", name="uq_notice_recipient"),
    )
    op.create_index("ix_notice_recipient_notice_id", "notice_recipient", ["notice_id"], unique=False)
    op.create_index("ix_notice_recipient_department_id", "notice_recipient", ["department_id"], unique=False)
    op.create_table(
        "notice_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_status", sa.String(length=12), nullable=True),
        sa.Column("to_status", sa.String(length=12), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=True),
        sa.Column("internal", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["ab_user.id"]),
        sa.ForeignKeyConstraint(["notice_id"], ["notice.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notice_event_notice_id", "notice_event", ["notice_id"], unique=False)


def downgrade():
    op.drop_index("ix_notice_event_notice_id", table_name="notice_event")
    op.drop_table("notice_event")
    op.drop_index("ix_notice_recipient_department_id", table_name="notice_recipient")
    op.drop_index("ix_notice_recipient_notice_id", table_name="notice_recipient")
    op.drop_table("notice_recipient")
    for name in ("ix_notice_status_due", "ix_notice_due_on", "ix_notice_decision_id", "ix_notice_issue_id",
                 "ix_notice_status"):
        op.drop_index(name, table_name="notice")
    op.drop_table("notice")
