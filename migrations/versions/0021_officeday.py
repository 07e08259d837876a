"""the office's day: list, form, report-draft and master-data fixes (issue 9)

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    # a report draft keeps the officer's own text apart from the facts the portal derives, and the
    # facts as they were last saved (so the page can show what changed since): app/duties.py
    with op.batch_alter_table("report") as batch:
        batch.add_column(sa.Column("notes", sa.Text(), nullable=True))
        batch.add_column(sa.Column("facts", sa.Text(), nullable=True))
    _rename_enterprise_logins()


def _rename_enterprise_logins():
    """Enterprise logins made by the old rule ("<first ten characters of the name>" + "联系人") take
    the enterprise's whole name (app.accounts.display_names), and so do the problem histories they
    wrote. Logins someone named otherwise are left alone."""
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT u.id, u.first_name, u.last_name, e.name FROM ab_user u "
        "JOIN enterprise_user eu ON eu.user_id = u.id JOIN enterprise e ON e.id = eu.enterprise_id")).all()
    for user_id, first, last, name in rows:
        if not name or (first or "") + (last or "") != name[:10] + "联系人":
            continue
        full = name[:100]
        cut = max(1, min(64, (len(full) + 1) // 2))
        bind.execute(sa.text("UPDATE ab_user SET first_name = :f, last_name = :l WHERE id = :i"),
                     {"f": full[:cut], "l": full[cut:], "i": user_id})
        bind.execute(sa.text("UPDATE issue_event SET actor_name = :n WHERE actor_id = :i AND actor_name = :old"),
                     {"n": full, "i": user_id, "old": name[:10] + "联系人"})


def downgrade():
    with op.batch_alter_table("report") as batch:
        batch.drop_column("facts")
        batch.drop_column("notes")
