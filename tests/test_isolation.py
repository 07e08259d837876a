"""The test harness itself: whatever a test writes — through the app, in another process, with or
without a commit — the next test finds the seed again (tests/snapshot.py, tests/conftest.py)."""
import subprocess
import sys

from sqlalchemy import func, select

import conftest
from app import db
from app.models import Enterprise, Issue, Visit
from app.policies.models import PolicyDelivery
from app.validation import credit_check_char
from conftest import DB_URL, api_token
from world import officer_of


def test_every_kind_of_write_is_put_back(ctx, client):
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    before = (count(Enterprise), count(Visit))
    visit = db.session.scalar(select(Visit).order_by(Visit.id).limit(1))
    summary, next_id = visit.summary, db.session.scalar(select(func.max(Enterprise.id))) + 1
    body = "91410800MA6666666"
    headers = api_token(client, "office")  # a login writes too (last login, counters)
    created = client.post("/api/v1/enterprise/", headers=headers, json={
        "name": "焦作市隔离测试有限公司", "credit_code": body + credit_check_char(body)})
    assert created.status_code == 201 and created.get_json()["id"] == next_id
    unreferenced = select(Visit.id).where(Visit.officer_id == officer_of("officer03").id, Visit.id.not_in(
        select(Issue.visit_id).where(Issue.visit_id.is_not(None))), Visit.id.not_in(
        select(PolicyDelivery.visit_id).where(PolicyDelivery.visit_id.is_not(None)))).order_by(Visit.id.desc()).limit(1)
    db.session.delete(db.session.get(Visit, db.session.scalar(unreferenced)))
    db.session.commit()
    script = ("import sys; from sqlalchemy import create_engine, text; e = create_engine(sys.argv[1]);\n"
              "with e.begin() as c: c.execute(text('UPDATE visit SET summary = :s WHERE id = :i'), {'s': '别处改的', 'i': int(sys.argv[2])})")
    out = subprocess.run([sys.executable, "-c", script, DB_URL, str(visit.id)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).summary == "别处改的"
    assert (count(Enterprise), count(Visit)) == (before[0] + 1, before[1] - 1)
    db.session.rollback()

    conftest._restore()

    db.session.expire_all()
    assert (count(Enterprise), count(Visit)) == before
    assert db.session.get(Visit, visit.id).summary == summary
    assert db.session.get(Enterprise, next_id) is None
    again = client.post("/api/v1/enterprise/", headers=headers, json={
        "name": "焦作市隔离测试有限公司", "credit_code": body + credit_check_char(body)})
    assert again.status_code == 201 and again.get_json()["id"] == next_id  # ids start where the seed left off
