"""assessment schemes, cycles, score lines with frozen evidence, appeals

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('annual_evaluation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=12), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('overall', sa.Float(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('year', 'subject_type', 'subject_id', name='uq_annual_evaluation')
    )
    op.create_table('assessment_scheme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('subject', sa.String(length=12), nullable=False),
    sa.Column('period_kind', sa.String(length=8), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('source_note', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('activated_at', sa.DateTime(), nullable=True),
    sa.Column('retired_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subject', 'period_kind', 'version', name='uq_assessment_scheme_version')
    )
    op.create_index(op.f('ix_assessment_scheme_status'), 'assessment_scheme', ['status'], unique=False)
    op.create_table('assessment_cycle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scheme_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=12), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=True),
    sa.Column('frozen_at', sa.DateTime(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('appeal_due', sa.Date(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('reopen_reason', sa.String(length=500), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['scheme_id'], ['assessment_scheme.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subject', 'period', name='uq_assessment_cycle_period')
    )
    op.create_index(op.f('ix_assessment_cycle_scheme_id'), 'assessment_cycle', ['scheme_id'], unique=False)
    op.create_index(op.f('ix_assessment_cycle_status'), 'assessment_cycle', ['status'], unique=False)
    op.create_table('assessment_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scheme_id', sa.Integer(), nullable=False),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('max_points', sa.Float(), nullable=False),
    sa.Column('rule', sa.String(length=16), nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['scheme_id'], ['assessment_scheme.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_assessment_item_scheme_id'), 'assessment_item', ['scheme_id'], unique=False)
    op.create_table('assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=12), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('subject_name', sa.String(length=100), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('grade', sa.String(length=4), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('prev_rank', sa.Integer(), nullable=True),
    sa.Column('rank_change', sa.Integer(), nullable=True),
    sa.Column('band', sa.String(length=6), nullable=True),
    sa.Column('vetoed', sa.Boolean(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['assessment_cycle.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('cycle_id', 'subject_type', 'subject_id', name='uq_assessment_subject')
    )
    op.create_index(op.f('ix_assessment_cycle_id'), 'assessment', ['cycle_id'], unique=False)
    op.create_index(op.f('ix_assessment_subject_id'), 'assessment', ['subject_id'], unique=False)
    op.create_table('assessment_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=12), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('subject_name', sa.String(length=100), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('trigger', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('reported_on', sa.Date(), nullable=True),
    sa.Column('follow_up_due', sa.Date(), nullable=True),
    sa.Column('no_progress_on', sa.Date(), nullable=True),
    sa.Column('requested_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['cycle_id'], ['assessment_cycle.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('cycle_id', 'subject_type', 'subject_id', name='uq_assessment_case')
    )
    op.create_index(op.f('ix_assessment_case_cycle_id'), 'assessment_case', ['cycle_id'], unique=False)
    op.create_index(op.f('ix_assessment_case_status'), 'assessment_case', ['status'], unique=False)
    op.create_index(op.f('ix_assessment_case_subject_id'), 'assessment_case', ['subject_id'], unique=False)
    op.create_table('assessment_cycle_event',
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.String(length=12), nullable=True),
    sa.Column('to_status', sa.String(length=12), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=True),
    sa.Column('internal', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['cycle_id'], ['assessment_cycle.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_assessment_cycle_event_cycle_id'), 'assessment_cycle_event', ['cycle_id'], unique=False)
    op.create_table('appeal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=True),
    sa.Column('filed_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('points_before', sa.Float(), nullable=True),
    sa.Column('points_after', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['filed_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['assessment_item.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_appeal_assessment_id'), 'appeal', ['assessment_id'], unique=False)
    op.create_index(op.f('ix_appeal_status'), 'appeal', ['status'], unique=False)
    op.create_table('assessment_case_event',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.String(length=12), nullable=True),
    sa.Column('to_status', sa.String(length=12), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=True),
    sa.Column('internal', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['assessment_case.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_assessment_case_event_case_id'), 'assessment_case_event', ['case_id'], unique=False)
    op.create_table('assessment_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.Column('raw', sa.Float(), nullable=True),
    sa.Column('raw_text', sa.String(length=100), nullable=True),
    sa.Column('sample_n', sa.Integer(), nullable=True),
    sa.Column('points', sa.Float(), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('manual_by_id', sa.Integer(), nullable=True),
    sa.Column('manual_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['assessment_item.id'], ),
    sa.ForeignKeyConstraint(['manual_by_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_assessment_score_assessment_id'), 'assessment_score', ['assessment_id'], unique=False)
    op.create_table('appeal_event',
    sa.Column('appeal_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.String(length=12), nullable=True),
    sa.Column('to_status', sa.String(length=12), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=True),
    sa.Column('internal', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['appeal_id'], ['appeal.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_appeal_event_appeal_id'), 'appeal_event', ['appeal_id'], unique=False)
    op.create_table('assessment_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('grade', sa.String(length=4), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('band', sa.String(length=6), nullable=True),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('appeal_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['appeal_id'], ['appeal.id'], ),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('assessment_id', 'revision', name='uq_assessment_version')
    )
    op.create_index(op.f('ix_assessment_version_assessment_id'), 'assessment_version', ['assessment_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_assessment_version_assessment_id'), table_name='assessment_version')
    op.drop_table('assessment_version')
    op.drop_index(op.f('ix_appeal_event_appeal_id'), table_name='appeal_event')
    op.drop_table('appeal_event')
    op.drop_index(op.f('ix_assessment_score_assessment_id'), table_name='assessment_score')
    op.drop_table('assessment_score')
    op.drop_index(op.f('ix_assessment_case_event_case_id'), table_name='assessment_case_event')
    op.drop_table('assessment_case_event')
    op.drop_index(op.f('ix_appeal_status'), table_name='appeal')
    op.drop_index(op.f('ix_appeal_assessment_id'), table_name='appeal')
    op.drop_table('appeal')
    op.drop_index(op.f('ix_assessment_cycle_event_cycle_id'), table_name='assessment_cycle_event')
    op.drop_table('assessment_cycle_event')
    op.drop_index(op.f('ix_assessment_case_subject_id'), table_name='assessment_case')
    op.drop_index(op.f('ix_assessment_case_status'), table_name='assessment_case')
    op.drop_index(op.f('ix_assessment_case_cycle_id'), table_name='assessment_case')
    op.drop_table('assessment_case')
    op.drop_index(op.f('ix_assessment_subject_id'), table_name='assessment')
    op.drop_index(op.f('ix_assessment_cycle_id'), table_name='assessment')
    op.drop_table('assessment')
    op.drop_index(op.f('ix_assessment_item_scheme_id'), table_name='assessment_item')
    op.drop_table('assessment_item')
    op.drop_index(op.f('ix_assessment_cycle_status'), table_name='assessment_cycle')
    op.drop_index(op.f('ix_assessment_cycle_scheme_id'), table_name='assessment_cycle')
    op.drop_table('assessment_cycle')
    op.drop_index(op.f('ix_assessment_scheme_status'), table_name='assessment_scheme')
    op.drop_table('assessment_scheme')
    op.drop_table('annual_evaluation')
