"""a unit's ledger pages at province size (issue 11): problems by deadline with their id, lead unit and status
in one index, so that a page reads a unit's problems in its order off the index alone (it read each problem's
row it passed over to learn its lead unit), and a unit's co-department rows by (department, problem) for the
same reason (they replace the index on the department alone) (dept01's inbox page at 5x: 46 -> ~5 ms;
docs/architecture.md#scoping); the enterprises' 街道, whose list the ledger's filter reads off the index
(a DISTINCT over 50,000 enterprises: 17-47 ms)

Revision ID: 0024
Revises: 0023
"""
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_issue_due_cover", "issue", ["due_on", "id", "lead_department_id", "status"])
    op.create_index("ix_issue_codepartment_department_issue", "issue_codepartment", ["department_id", "issue_id"])
    op.drop_index("ix_issue_codepartment_department_id", table_name="issue_codepartment")
    op.create_index("ix_enterprise_subdistrict", "enterprise", ["subdistrict"])


def downgrade():
    op.drop_index("ix_enterprise_subdistrict", table_name="enterprise")
    op.create_index("ix_issue_codepartment_department_id", "issue_codepartment", ["department_id"])
    op.drop_index("ix_issue_codepartment_department_issue", table_name="issue_codepartment")
    op.drop_index("ix_issue_due_cover", table_name="issue")
