"""Issue 11: what beat runs every quarter hour and what a leader opens sends as many statements on a
province four times the size — set-based, not a query per item."""
import sys
from datetime import datetime, timedelta

from app import db, reminders
from bench.province import counting, generate_into


def _sweep_counts(app, scale):
    with app.app_context():
        gen = generate_into(db.engine, scale, seed=7)
        db.session.remove()
        monday = gen.today - timedelta(days=gen.today.weekday())
        moment = datetime.combine(monday + timedelta(days=2), datetime.min.time()).replace(hour=10)
        out = []
        for at in (moment, moment, moment + timedelta(days=7)):  # first run, repeat, a new week's first run
            with counting(db.engine) as c:
                summary = reminders.sweep(at)
            db.session.remove()
            out.append((c.count, summary["reminders"], summary["drafted_reports"]))
    sys.modules["conftest"]._restore()
    return out


def test_the_sweep_sends_as_many_statements_at_four_times_the_size(app):
    small, large = _sweep_counts(app, 0.002), _sweep_counts(app, 0.008)
    assert large[0][1] > 2 * small[0][1] > 0  # four times the province: many more reminders …
    assert large[2][2] >= small[2][2] > 0  # the new week: every chief officer's report drafts
    assert [n for n, *_ in large] == [n for n, *_ in small], (small, large)  # … for the same statements
