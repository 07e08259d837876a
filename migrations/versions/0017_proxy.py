"""代办 cases by appointment (两不见面): catalogue, cases, steps

Tables: proxy_service_item (代办事项目录), proxy_case (代办件), proxy_case_item (the requested items),
proxy_case_scope (the items the power of attorney covers), proxy_step (one per item and department),
proxy_event (history). No money column anywhere (八(六)).

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('proxy_service_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('item_code', sa.String(length=60), nullable=True),
    sa.Column('time_limit', sa.Integer(), nullable=False),
    sa.Column('limit_kind', sa.String(length=10), nullable=False),
    sa.Column('materials', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_index(op.f('ix_proxy_service_item_department_id'), 'proxy_service_item', ['department_id'], unique=False)
    op.create_table('proxy_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('contact', sa.String(length=100), nullable=True),
    sa.Column('preferred_times', sa.String(length=500), nullable=True),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('urgent_reason', sa.String(length=500), nullable=True),
    sa.Column('appointment_at', sa.DateTime(), nullable=True),
    sa.Column('appointment_mode', sa.String(length=10), nullable=True),
    sa.Column('appointment_place', sa.String(length=200), nullable=True),
    sa.Column('authorized_until', sa.Date(), nullable=True),
    sa.Column('authorized_at', sa.DateTime(), nullable=True),
    sa.Column('authorized_by_id', sa.Integer(), nullable=True),
    sa.Column('authorization_attachment_id', sa.Integer(), nullable=True),
    sa.Column('checklist', sa.JSON(), nullable=True),
    sa.Column('missing_told_at', sa.DateTime(), nullable=True),
    sa.Column('missing_told', sa.JSON(), nullable=True),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('met_department', sa.Boolean(), nullable=True),
    sa.Column('met_counterparty', sa.Boolean(), nullable=True),
    sa.Column('delivery_note', sa.String(length=500), nullable=True),
    sa.Column('stop_reason', sa.String(length=20), nullable=True),
    sa.Column('stop_note', sa.String(length=500), nullable=True),
    sa.Column('resume_status', sa.String(length=12), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['authorization_attachment_id'], ['attachment.id'], ),
    sa.ForeignKeyConstraint(['authorized_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.ForeignKeyConstraint(['officer_id'], ['officer.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number'),
    sa.UniqueConstraint('year', 'seq', name='uq_proxy_case_year_seq')
    )
    op.create_index(op.f('ix_proxy_case_enterprise_id'), 'proxy_case', ['enterprise_id'], unique=False)
    op.create_index(op.f('ix_proxy_case_officer_id'), 'proxy_case', ['officer_id'], unique=False)
    op.create_index(op.f('ix_proxy_case_status'), 'proxy_case', ['status'], unique=False)
    op.create_table('proxy_case_item',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['proxy_case.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['proxy_service_item.id'], ),
    sa.PrimaryKeyConstraint('case_id', 'item_id')
    )
    op.create_index(op.f('ix_proxy_case_item_item_id'), 'proxy_case_item', ['item_id'], unique=False)
    op.create_table('proxy_case_scope',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['proxy_case.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['proxy_service_item.id'], ),
    sa.PrimaryKeyConstraint('case_id', 'item_id')
    )
    op.create_index(op.f('ix_proxy_case_scope_item_id'), 'proxy_case_scope', ['item_id'], unique=False)
    op.create_table('proxy_event',
    sa.Column('case_id', sa.Integer(), nullable=False),
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
    sa.ForeignKeyConstraint(['case_id'], ['proxy_case.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_proxy_event_case_id'), 'proxy_event', ['case_id'], unique=False)
    op.create_table('proxy_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=True),
    sa.Column('acceptance_no', sa.String(length=60), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('result_no', sa.String(length=60), nullable=True),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('overdue_notified_at', sa.DateTime(), nullable=True),
    sa.Column('issue_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['proxy_case.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['issue_id'], ['issue.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['proxy_service_item.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'item_id', name='uq_proxy_step_item')
    )
    op.create_index(op.f('ix_proxy_step_case_id'), 'proxy_step', ['case_id'], unique=False)
    op.create_index(op.f('ix_proxy_step_department_id'), 'proxy_step', ['department_id'], unique=False)
    op.create_index(op.f('ix_proxy_step_due_on'), 'proxy_step', ['due_on'], unique=False)
    op.create_index(op.f('ix_proxy_step_issue_id'), 'proxy_step', ['issue_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_proxy_step_issue_id'), table_name='proxy_step')
    op.drop_index(op.f('ix_proxy_step_due_on'), table_name='proxy_step')
    op.drop_index(op.f('ix_proxy_step_department_id'), table_name='proxy_step')
    op.drop_index(op.f('ix_proxy_step_case_id'), table_name='proxy_step')
    op.drop_table('proxy_step')
    op.drop_index(op.f('ix_proxy_event_case_id'), table_name='proxy_event')
    op.drop_table('proxy_event')
    op.drop_index(op.f('ix_proxy_case_scope_item_id'), table_name='proxy_case_scope')
    op.drop_table('proxy_case_scope')
    op.drop_index(op.f('ix_proxy_case_item_item_id'), table_name='proxy_case_item')
    op.drop_table('proxy_case_item')
    op.drop_index(op.f('ix_proxy_case_status'), table_name='proxy_case')
    op.drop_index(op.f('ix_proxy_case_officer_id'), table_name='proxy_case')
    op.drop_index(op.f('ix_proxy_case_enterprise_id'), table_name='proxy_case')
    op.drop_table('proxy_case')
    op.drop_index(op.f('ix_proxy_service_item_department_id'), table_name='proxy_service_item')
    op.drop_table('proxy_service_item')
