"""the policy library (惠企政策): policies, benefit items and their eligibility criteria, enterprise sizes,
deliveries (送达) and uptake (申兑) with its history

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('enterprise_size',
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('size', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.PrimaryKeyConstraint('enterprise_id')
    )
    op.create_table('policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('doc_number', sa.String(length=80), nullable=True),
    sa.Column('issuer', sa.String(length=100), nullable=True),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('published_on', sa.Date(), nullable=True),
    sa.Column('effective_from', sa.Date(), nullable=True),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('successor_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('interpretation', sa.Text(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['successor_id'], ['policy.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_policy_department_id'), 'policy', ['department_id'], unique=False)
    op.create_index(op.f('ix_policy_effective_to'), 'policy', ['effective_to'], unique=False)
    op.create_index(op.f('ix_policy_status'), 'policy', ['status'], unique=False)
    op.create_table('policy_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('benefit', sa.Text(), nullable=False),
    sa.Column('target_desc', sa.Text(), nullable=True),
    sa.Column('cash_mode', sa.String(length=10), nullable=False),
    sa.Column('window_open', sa.Date(), nullable=True),
    sa.Column('window_close', sa.Date(), nullable=True),
    sa.Column('cash_days', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('contact', sa.String(length=50), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_policy_item_department_id'), 'policy_item', ['department_id'], unique=False)
    op.create_index(op.f('ix_policy_item_policy_id'), 'policy_item', ['policy_id'], unique=False)
    op.create_index(op.f('ix_policy_item_window_close'), 'policy_item', ['window_close'], unique=False)
    op.create_table('policy_criterion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('value', sa.String(length=50), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['policy_item.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('item_id', 'kind', 'value', name='uq_policy_criterion')
    )
    op.create_index('ix_policy_criterion_kind_value', 'policy_criterion', ['kind', 'value'], unique=False)
    op.create_table('policy_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=True),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('delivered_on', sa.Date(), nullable=False),
    sa.Column('explained', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('item_revision', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('interest', sa.String(length=12), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['policy_item.id'], ),
    sa.ForeignKeyConstraint(['officer_id'], ['officer.id'], ),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_policy_delivery_enterprise_id'), 'policy_delivery', ['enterprise_id'], unique=False)
    op.create_index(op.f('ix_policy_delivery_item_id'), 'policy_delivery', ['item_id'], unique=False)
    op.create_index(op.f('ix_policy_delivery_officer_id'), 'policy_delivery', ['officer_id'], unique=False)
    op.create_index('ix_policy_delivery_pair', 'policy_delivery', ['item_id', 'enterprise_id'], unique=False)
    op.create_index(op.f('ix_policy_delivery_visit_id'), 'policy_delivery', ['visit_id'], unique=False)
    op.create_table('policy_uptake',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('applied_on', sa.Date(), nullable=True),
    sa.Column('accepted_on', sa.Date(), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('reject_reason', sa.String(length=500), nullable=True),
    sa.Column('issue_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.ForeignKeyConstraint(['issue_id'], ['issue.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['policy_item.id'], ),
    sa.ForeignKeyConstraint(['updated_by_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('item_id', 'enterprise_id', name='uq_policy_uptake_pair')
    )
    op.create_index(op.f('ix_policy_uptake_enterprise_id'), 'policy_uptake', ['enterprise_id'], unique=False)
    op.create_index(op.f('ix_policy_uptake_item_id'), 'policy_uptake', ['item_id'], unique=False)
    op.create_index(op.f('ix_policy_uptake_status'), 'policy_uptake', ['status'], unique=False)
    op.create_table('policy_uptake_event',
    sa.Column('uptake_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.String(length=12), nullable=True),
    sa.Column('to_status', sa.String(length=12), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=True),
    sa.Column('internal', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['uptake_id'], ['policy_uptake.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_policy_uptake_event_uptake_id'), 'policy_uptake_event', ['uptake_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_policy_uptake_event_uptake_id'), table_name='policy_uptake_event')
    op.drop_table('policy_uptake_event')
    op.drop_index(op.f('ix_policy_uptake_status'), table_name='policy_uptake')
    op.drop_index(op.f('ix_policy_uptake_item_id'), table_name='policy_uptake')
    op.drop_index(op.f('ix_policy_uptake_enterprise_id'), table_name='policy_uptake')
    op.drop_table('policy_uptake')
    op.drop_index(op.f('ix_policy_delivery_visit_id'), table_name='policy_delivery')
    op.drop_index('ix_policy_delivery_pair', table_name='policy_delivery')
    op.drop_index(op.f('ix_policy_delivery_officer_id'), table_name='policy_delivery')
    op.drop_index(op.f('ix_policy_delivery_item_id'), table_name='policy_delivery')
    op.drop_index(op.f('ix_policy_delivery_enterprise_id'), table_name='policy_delivery')
    op.drop_table('policy_delivery')
    op.drop_index('ix_policy_criterion_kind_value', table_name='policy_criterion')
    op.drop_table('policy_criterion')
    op.drop_index(op.f('ix_policy_item_window_close'), table_name='policy_item')
    op.drop_index(op.f('ix_policy_item_policy_id'), table_name='policy_item')
    op.drop_index(op.f('ix_policy_item_department_id'), table_name='policy_item')
    op.drop_table('policy_item')
    op.drop_index(op.f('ix_policy_status'), table_name='policy')
    op.drop_index(op.f('ix_policy_effective_to'), table_name='policy')
    op.drop_index(op.f('ix_policy_department_id'), table_name='policy')
    op.drop_table('policy')
    op.drop_table('enterprise_size')
