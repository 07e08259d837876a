"""meetings (会商): meetings, participants, topics, decisions and events

Also the foreign key ``notice.decision_id`` → ``meeting_decision.id`` (the notices' table came in
0009, before the decisions' table existed; the model declares it in app/meetings/models.py).

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('planned_at', sa.DateTime(), nullable=False),
    sa.Column('held_at', sa.DateTime(), nullable=True),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.Column('convener_id', sa.Integer(), nullable=False),
    sa.Column('designated_by_id', sa.Integer(), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('seq', sa.Integer(), nullable=True),
    sa.Column('number', sa.String(length=40), nullable=True),
    sa.Column('overview', sa.Text(), nullable=True),
    sa.Column('distribution', sa.String(length=500), nullable=True),
    sa.Column('minutes_by_id', sa.Integer(), nullable=True),
    sa.Column('signed_by_id', sa.Integer(), nullable=True),
    sa.Column('signed_at', sa.DateTime(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=True),
    sa.Column('document_sha256', sa.String(length=64), nullable=True),
    sa.Column('attachment_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachment.id'], ),
    sa.ForeignKeyConstraint(['convener_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['corrects_id'], ['meeting.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['designated_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['minutes_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['signed_by_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number'),
    sa.UniqueConstraint('year', 'seq', name='uq_meeting_year_seq')
    )
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_corrects_id'), ['corrects_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_status'), ['status'], unique=False)

    op.create_table('meeting_event',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.String(length=12), nullable=True),
    sa.Column('to_status', sa.String(length=12), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=True),
    sa.Column('internal', sa.Boolean(), server_default=sa.text("false"), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('meeting_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_event_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('meeting_participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('officer_id', sa.Integer(), nullable=True),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('person', sa.String(length=100), nullable=True),
    sa.Column('attendance', sa.String(length=10), nullable=False),
    sa.CheckConstraint('(CASE WHEN department_id IS NULL THEN 0 ELSE 1 END + CASE WHEN officer_id IS NULL THEN 0 ELSE 1 END + CASE WHEN enterprise_id IS NULL THEN 0 ELSE 1 END) = 1', name='ck_meeting_participant_one'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['officer_id'], ['officer.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('meeting_participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_participant_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_participant_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_participant_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_participant_officer_id'), ['officer_id'], unique=False)

    op.create_table('meeting_topic',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('background', sa.Text(), nullable=True),
    sa.Column('coordination', sa.Text(), nullable=True),
    sa.Column('proposal', sa.Text(), nullable=True),
    sa.Column('waiver_reason', sa.String(length=500), nullable=True),
    sa.Column('waived_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['issue_id'], ['issue.id'], ),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['waived_by_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('meeting_id', 'issue_id', name='uq_meeting_topic_issue')
    )
    with op.batch_alter_table('meeting_topic', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_topic_issue_id'), ['issue_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_topic_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('meeting_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=True),
    sa.Column('issue_id', sa.Integer(), nullable=True),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lead_department_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('feedback_cycle', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('report_text', sa.Text(), nullable=True),
    sa.Column('reported_at', sa.DateTime(), nullable=True),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_at', sa.DateTime(), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['issue_id'], ['issue.id'], ),
    sa.ForeignKeyConstraint(['lead_department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reported_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['topic_id'], ['meeting_topic.id'], ),
    sa.ForeignKeyConstraint(['verified_by_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('meeting_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_decision_issue_id'), ['issue_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_decision_lead_department_id'), ['lead_department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_decision_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index('ix_meeting_decision_status_due', ['status', 'due_on'], unique=False)

    op.create_table('decision_event',
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.String(length=12), nullable=True),
    sa.Column('to_status', sa.String(length=12), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=True),
    sa.Column('internal', sa.Boolean(), server_default=sa.text("false"), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['decision_id'], ['meeting_decision.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('decision_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_event_decision_id'), ['decision_id'], unique=False)

    op.create_table('meeting_decision_codepartment',
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['decision_id'], ['meeting_decision.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.PrimaryKeyConstraint('decision_id', 'department_id')
    )
    with op.batch_alter_table('meeting_decision_codepartment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_decision_codepartment_department_id'), ['department_id'], unique=False)

    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_notice_decision_id', 'meeting_decision', ['decision_id'], ['id'])


def downgrade():
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_constraint('fk_notice_decision_id', type_='foreignkey')

    with op.batch_alter_table('meeting_decision_codepartment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_decision_codepartment_department_id'))

    op.drop_table('meeting_decision_codepartment')
    with op.batch_alter_table('decision_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decision_event_decision_id'))

    op.drop_table('decision_event')
    with op.batch_alter_table('meeting_decision', schema=None) as batch_op:
        batch_op.drop_index('ix_meeting_decision_status_due')
        batch_op.drop_index(batch_op.f('ix_meeting_decision_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_decision_lead_department_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_decision_issue_id'))

    op.drop_table('meeting_decision')
    with op.batch_alter_table('meeting_topic', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_topic_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_topic_issue_id'))

    op.drop_table('meeting_topic')
    with op.batch_alter_table('meeting_participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_participant_officer_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_participant_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_participant_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_participant_department_id'))

    op.drop_table('meeting_participant')
    with op.batch_alter_table('meeting_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_event_meeting_id'))

    op.drop_table('meeting_event')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_status'))
        batch_op.drop_index(batch_op.f('ix_meeting_corrects_id'))

    op.drop_table('meeting')
