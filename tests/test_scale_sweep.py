"""Issue 11 item 1: the set-based sweep makes the same reminders and messages as the row-by-row one
it replaced (kept in bench/legacy_sweep.py), on a generated province at several moments — a first
run, a repeat at the same moment, a new day, a night (quiet hours), a weekend — and its statement
count does not grow with the data."""
import re
import sys
from datetime import datetime, timedelta

import pytest

from app import clock, db, reminders
from app.models import OutboundMessage, Reminder
from bench import legacy_sweep
from bench.province import counting, generate_into


def _restore():
    sys.modules["conftest"]._restore()  # back to this module's generated province (a layered fixture)


@pytest.fixture(scope="module")
def province(app):
    with app.app_context():
        gen = generate_into(db.engine, 0.004, seed=11)
        db.session.remove()
        return gen


def _moments(today):
    monday = today - timedelta(days=today.weekday())
    at = lambda day, h, m=0: datetime(day.year, day.month, day.day, h, m)  # noqa: E731
    friday = monday + timedelta(days=4)
    return [at(monday + timedelta(days=2), 10), at(monday + timedelta(days=2), 10), at(monday + timedelta(days=2), 10, 15),
            at(friday, 22, 30), at(friday + timedelta(days=1), 9), at(monday + timedelta(days=7), 8, 45),
            at(monday + timedelta(days=7), 11)]


def _state():
    """What the sweeps wrote, without ids: each reminder with its message's content; each message."""
    messages = {m.id: (m.recipient_id, m.to_addr, m.status, m.not_before, m.subject, frozenset(m.body_text.split("\n")),
                       _parts(m.body_html))
                for m in db.session.scalars(select_all(OutboundMessage))}
    # a hand-over line's item is its notification, whose id PostgreSQL's sequence does not give back
    rows = {(r.dedupe_key, r.recipient_id, r.kind, r.item_type, None if r.item_type == "notification" else r.item_id,
             r.tier, r.period, r.text, r.link, messages.get(r.message_id)) for r in db.session.scalars(select_all(Reminder))}
    return rows, sorted(messages.values(), key=repr)


def _parts(html):
    """The lines of a mail's HTML as a set (the order of the groups follows the order things were found)."""
    return frozenset(re.split(r"(?=<h3>|<li>|</ul>)", html))


def select_all(model):
    from sqlalchemy import select

    return select(model)


def _as_ids(cands):
    return {(c[0] if isinstance(c[0], int) else c[0].id, *c[1:]) for c in cands}


def _run(sweep, moments):
    out = []
    for moment in moments:
        aware = moment.replace(tzinfo=clock.tz())
        sweep(moment)
        db.session.remove()
        with clock.at(aware):
            old, new = _as_ids(legacy_sweep.candidates(aware)), _as_ids(reminders.candidates(aware))
        if old != new:
            pytest.fail(repr((moment, sorted(old - new)[:3], sorted(new - old)[:3], len(old), len(new))))
        out.append(_state())
        db.session.remove()
    return out


def _same(moments, old, new):
    for moment, (old_rows, old_msgs), (new_rows, new_msgs) in zip(moments, old, new):
        if new_rows != old_rows:
            a, b = sorted(old_rows - new_rows, key=repr)[:1], sorted(new_rows - old_rows, key=repr)[:1]
            pytest.fail(repr((moment, a[0][:9], [x for x in a[0][9] if x not in b[0][9]], [x for x in b[0][9] if x not in a[0][9]])))
        assert new_msgs == old_msgs, moment


def test_same_reminders_and_messages_as_the_row_by_row_sweep(app, province, monkeypatch):
    moments = _moments(province.today)
    with app.app_context():
        before = _state()
        old = _run(legacy_sweep.sweep, moments)
    _restore()
    with app.app_context():
        assert _state() == before
        new = _run(reminders.sweep, moments)
    assert len(old[0][0]) > 100  # the province gives the sweep plenty to say
    kinds = {r[2] for r in old[-1][0]}
    assert {"issue_overdue", "issue_serious", "issue_approaching"} <= kinds
    _same(moments, old, new)
    # chunks of 7 candidates (and 7 lines without a message, 1 message per rendering query) instead of
    # 10,000: where the chunks end changes nothing
    _restore()
    monkeypatch.setattr(reminders, "CHUNK", 7)
    with app.app_context():
        small = _run(reminders.sweep, moments)
    _same(moments, old, small)


def test_a_long_group_is_cut_with_its_count_and_a_link(app, province):
    """Since issue 11 a mail lists at most DIGEST_LINES lines of a group (the office's mail at province
    scale listed 32,937 problems, 3 MB): the rest are counted, with a link to the whole list; the
    subject keeps the full count. Both sweeps render through reminders._render, so the comparison
    above holds for cut mails too — this checks the cut itself."""
    from collections import Counter

    moment = _moments(province.today)[0]
    with app.app_context():
        reminders.sweep(moment)
        db.session.remove()
        rows, messages = _state()
        per_message = Counter(r[9] for r in rows)
        per_group = Counter((r[9], r[2]) for r in rows)
    cut = [(m, kind, n) for (m, kind), n in per_group.items() if n > reminders.DIGEST_LINES]
    assert cut, "the province should give the office more than DIGEST_LINES problems of a tier"
    for message, kind, n in cut:
        lines = [x for x in message[5] if x.startswith("  · ")]
        rest = n - reminders.DIGEST_LINES
        assert any(x.startswith(f"  · ……另有{rest}项未列出（本类共{n}项），请登录平台查看：")
                   and x.endswith(reminders.KIND_LISTS[kind]) for x in lines), (kind, n)
        assert any(f"本类共{n}项" in part and "登录平台查看</a>" in part for part in message[6])
        assert message[4] == f"【首席服务官工作平台】{per_message[message]}项待办提醒"
        shown = [x for x in lines if "另有" not in x]
        assert len(shown) == sum(min(c, reminders.DIGEST_LINES) for (m, _), c in per_group.items() if m == message)


def test_a_repeat_run_writes_nothing_and_the_statements_stay_few(app, province):
    moment = _moments(province.today)[0]
    with app.app_context():
        first = reminders.sweep(moment)
        db.session.remove()
        with counting(db.engine) as again:
            repeat = reminders.sweep(moment)
        assert first["reminders"] > 100 and repeat["reminders"] == 0 and repeat["messages"] == 0
        assert again.count < 120, again.sql


def test_report_drafts_in_bulk_read_as_one_by_one(app, province):
    from app import duties
    from app.settings import get_policy

    with app.app_context():
        officers = duties.active_officers()
        assert len(officers) > 5
        for start, end, _due in (duties.weekly_period(province.today, get_policy()),
                                 (province.today - timedelta(days=90), province.today, None)):
            many = duties.draft_facts_many([o.id for o in officers], start, end)
            assert many == {o.id: duties.draft_facts(o, start, end) for o in officers}
        assert any("走访" in text and "次。" in text for text in many.values())


def test_keys_written_meanwhile_by_a_concurrent_sweep_are_skipped(app, province, monkeypatch):
    """The key look-up of a chunk and its INSERT are not atomic: a concurrent sweep may write a key in
    between. Its rows win quietly (ON CONFLICT DO NOTHING) and a message left without lines goes."""
    from sqlalchemy import func, select, true

    moment = _moments(province.today)[0]
    with app.app_context():
        first = reminders.sweep(moment)
        db.session.remove()
        counts = lambda: (db.session.scalar(select(func.count()).select_from(Reminder)),  # noqa: E731
                          db.session.scalar(select(func.count()).select_from(OutboundMessage)))
        before = counts()
        monkeypatch.setattr(reminders, "_taken", lambda keys: set())  # as if every key were still free
        monkeypatch.setattr(reminders, "_unwritten", lambda key: true())  # (the candidates' anti-join too)
        again = reminders.sweep(moment)
        db.session.remove()
        assert first["reminders"] > 100
        assert (again["reminders"], again["messages"]) == (0, 0)
        assert counts() == before


def test_the_sweep_reads_only_candidates_not_yet_written(app, province):
    """The sweep's own candidates (``fresh``): the database drops those whose dedupe key is written
    (an anti-join), so a repeat run builds nothing — and what it keeps is exactly everything due minus
    the keys written, at every moment (a changed tier or a new week is a new key)."""
    from sqlalchemy import select

    from app import duties
    from app.models import DutyRecord
    from app.settings import get_policy

    moments = _moments(province.today)
    lapses = 0
    with app.app_context():
        for moment in (moments[0], moments[2], moments[4], moments[6]):
            aware = moment.replace(tzinfo=clock.tz())
            for _ in range(2):  # before the sweep at this moment, then after it
                with clock.at(aware):
                    written = set(db.session.scalars(select(Reminder.dedupe_key)))
                    everything = _as_ids(reminders.candidates(aware))
                    fresh = _as_ids(reminders.candidates(aware, fresh=True))
                    # the lapses read likewise: a missed visit whose record is written stays in the database
                    missed = [r["key"] for r in duties._lapses(aware.date(), get_policy()) if r["kind"] == "missed_visit"]
                    recorded = set(db.session.scalars(select(DutyRecord.key)))
                assert fresh == {c for c in everything if c[1] not in written}, moment
                assert not recorded & set(missed), moment
                lapses += len(missed)
                reminders.sweep(moment)
                db.session.remove()
            assert everything and not fresh and not missed  # after the sweep: all written, nothing read again
    assert lapses > 0


def test_a_login_added_after_the_first_run_is_reminded_on_the_repeat_run(app, province):
    """A department login (and an office one) created after the first run at a moment: the repeat run
    reminds them of everything due to them, like the row-by-row sweep, and nobody else of anything."""
    from collections import Counter

    from sqlalchemy import func, select

    from app import accounts
    from app.models import DepartmentUser, Issue
    from app.vocab import DEPARTMENT, DIRECTOR, WITH_DEPARTMENT

    moment = _moments(province.today)[0]

    def run(sweep):
        with app.app_context():
            sweep(moment)
            db.session.remove()
            before = Counter(r.recipient_id for r in db.session.scalars(select_all(Reminder)))
            busiest = db.session.execute(select(Issue.lead_department_id, func.count()).where(
                Issue.status.in_(WITH_DEPARTMENT), Issue.due_on < province.today,
                Issue.lead_department_id.in_(select(DepartmentUser.department_id))).group_by(
                Issue.lead_department_id).order_by(func.count().desc(), Issue.lead_department_id).limit(1)).first()[0]
            unit = accounts.create_login("dept_late", DEPARTMENT, "Late-Login-2026", department_id=busiest,
                                         email="dept_late@cso.example")
            office = accounts.create_login("director_late", DIRECTOR, "Late-Login-2026",
                                           email="director_late@cso.example")
            ids = (unit.id, office.id)
            db.session.remove()
            again = sweep(moment)
            db.session.remove()
            after = Counter(r.recipient_id for r in db.session.scalars(select_all(Reminder)))
            state = _state()
        return ids, before, after, again, state

    old = run(legacy_sweep.sweep)
    _restore()
    new = run(reminders.sweep)
    _restore()
    (ids, before, after, again, state), (_, _, _, old_again, old_state) = new, old
    assert after[ids[0]] > 10 and after[ids[1]] > 10  # the newcomers: their share of what is due
    assert {u: n for u, n in after.items() if u not in ids} == dict(before)  # nobody else: nothing new
    assert (again["reminders"], again["messages"]) == (old_again["reminders"], old_again["messages"])
    assert again["reminders"] == after[ids[0]] + after[ids[1]] and again["messages"] == 2
    _same([moment], [old_state], [state])
