"""Assessment computation (考核周期 → 计算) and the quarterly survey mailing (发起季度测评) run as background
jobs (issue 14 item 5): the office's button answers with the job page, the task does the work as the
owner with progress, the result links to the cycle / the requests, the job is its owner's alone, refused
actions start nothing, a double click or a redelivered task does the work once."""
import re

import pytest
from sqlalchemy import func, select

from conftest import api_token, login


@pytest.fixture()
def queued(monkeypatch):
    from app.jobs import rules

    sent = []
    monkeypatch.setattr(rules, "dispatch", lambda job: sent.append((job.id, job.task_id)))
    return sent


def _job(job_id):
    from app import db
    from app.jobs.models import Job

    db.session.expire_all()
    return db.session.get(Job, job_id)


def _cycle(subject="officer"):
    from app import clock, db, stats
    from app.assessments.models import AssessmentCycle

    key = stats.period("quarter", clock.today()).key
    return db.session.scalar(select(AssessmentCycle).where(AssessmentCycle.period == key,
                                                           AssessmentCycle.subject == subject))


def _job_id(resp):
    assert resp.status_code == 302 and re.search(r"/jobs/\d+$", resp.headers["Location"]), resp.headers.get("Location")
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def _events(cycle_id, action):
    from app import db
    from app.assessments.models import AssessmentCycleEvent

    return db.session.scalar(select(func.count()).select_from(AssessmentCycleEvent).where(
        AssessmentCycleEvent.cycle_id == cycle_id, AssessmentCycleEvent.action == action))


def test_compute_on_the_cycle_page_runs_as_a_job(ctx, client, queued):
    from app.jobs import rules

    cycle = _cycle()
    assert cycle.status == "computed"  # the demo's current quarter
    cid, items, version, before = cycle.id, len(cycle.scheme.items), cycle.version, _events(cycle.id, "compute")
    login(client, "office")
    resp = client.post(f"/assessments/cycles/{cid}/act", data={"action": "compute", "version": version})
    job_id = _job_id(resp)
    assert len(queued) == 1 and queued[0][0] == job_id
    assert _events(cid, "compute") == before  # nothing computed in the request
    # a second press while it waits: the same job, nothing queued again
    assert _job_id(client.post(f"/assessments/cycles/{cid}/act", data={"action": "compute"})) == job_id
    assert len(queued) == 1
    status = client.get(f"/jobs/{job_id}/status").get_json()
    assert (status["state"], status["kind"], status["total"], status["result_url"]) == ("queued", "assessment", items, None)
    assert status["unit"] == "个考核项"

    assert rules.run(job_id, queued[0][1])["state"] == "done"
    job = _job(job_id)
    assert (job.state, job.done, job.total) == ("done", items, items)
    assert _events(cid, "compute") == before + 1  # one compute event, by the office user
    from app import db
    from app.assessments.models import AssessmentCycleEvent

    ev = db.session.scalars(select(AssessmentCycleEvent).where(AssessmentCycleEvent.cycle_id == cid)
                            .order_by(AssessmentCycleEvent.id.desc())).first()
    assert ev.action == "compute" and ev.actor.username == "office"
    status = client.get(f"/jobs/{job_id}/status").get_json()
    assert status["state"] == "done" and status["result_url"] == f"/assessments/cycles/{cid}"
    assert status["message"] == f"已计算 {len(_cycle().assessments)} 个考核对象的得分。"
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "查看结果" in page and f"已计算 {len(_cycle().assessments)} 个考核对象的得分" in page
    assert rules.run(job_id, queued[0][1])["skipped"] == "done"  # a redelivered task does nothing
    assert _events(cid, "compute") == before + 1
    # the job is the owner's: another office-side user gets 404 on the page, the status and the API
    login(client, "director")
    assert client.get(f"/jobs/{job_id}").status_code == 404
    assert client.get(f"/jobs/{job_id}/status").status_code == 404
    assert client.get(f"/api/v1/job/{job_id}", headers=api_token(client, "director")).status_code == 404
    body = client.get(f"/api/v1/job/{job_id}", headers=api_token(client, "office")).get_json()
    assert (body["state"], body["done"], body["total"]) == ("done", items, items)


def test_a_refused_compute_starts_no_job(ctx, client, queued):
    from app import db

    cycle = _cycle()
    cid, version = cycle.id, cycle.version
    login(client, "office")
    resp = client.post(f"/assessments/cycles/{cid}/act", data={"action": "compute", "version": version + 5},
                       follow_redirects=True)
    assert "该考核周期已被他人更新，请刷新后再操作。" in resp.get_data(as_text=True)
    cycle = _cycle()
    cycle.status = "frozen"
    db.session.commit()
    resp = client.post(f"/assessments/cycles/{cid}/act", data={"action": "compute"}, follow_redirects=True)
    assert "考核周期当前状态为“已冻结”，不能执行“计算得分”。" in resp.get_data(as_text=True)
    assert client.post("/assessments/cycles/999999/act", data={"action": "compute"}).status_code == 404
    for who in ("director", "officer01", "dept01"):
        login(client, who)
        assert client.post(f"/assessments/cycles/{cid}/act", data={"action": "compute"}).status_code in (302, 403, 404)
    assert queued == []


def test_a_cycle_frozen_before_the_task_runs_fails_in_chinese(ctx, client, queued):
    from app import db
    from app.jobs import rules

    cid = _cycle().id
    login(client, "office")
    job_id = _job_id(client.post(f"/assessments/cycles/{cid}/act", data={"action": "compute"}))
    cycle = _cycle()
    cycle.status = "frozen"
    db.session.commit()
    out = rules.run(job_id, queued[0][1])
    job = _job(job_id)
    assert out["state"] == job.state == "failed" and job.reason == "考核周期当前状态为“已冻结”，不能执行“计算得分”。"
    assert rules.serialize(job)["may_retry"]


def _served():
    from app import db
    from app.models import Assignment

    return db.session.scalar(select(func.count(func.distinct(Assignment.enterprise_id))).where(Assignment.is_current))


def _quarterly(period):
    from app import db
    from app.surveys.models import SurveyRequest

    return db.session.scalar(select(func.count()).select_from(SurveyRequest).where(
        SurveyRequest.kind == "quarterly", SurveyRequest.period == period))


def test_the_quarterly_mailing_runs_as_a_job(ctx, client, queued):
    from app.jobs import rules

    served, before = _served(), _quarterly("2026Q3")
    assert served > 0
    login(client, "office")
    job_id = _job_id(client.post("/surveys/quarter", data={"period": "2026Q3"}))
    assert _quarterly("2026Q3") == before  # nothing written in the request
    assert _job_id(client.post("/surveys/quarter", data={"period": "2026Q3"})) == job_id and len(queued) == 1
    assert rules.run(job_id, queued[0][1])["state"] == "done"
    job = _job(job_id)
    assert (job.done, job.total) == (served, served)  # counted per served enterprise
    created = _quarterly("2026Q3") - before
    assert created > 0 and job.result["created"] == created and job.result["skipped"] == served - created
    status = client.get(f"/jobs/{job_id}/status").get_json()
    assert status["result_url"] == "/surveys/?kind=quarterly&period=2026Q3" and status["unit"] == "家企业"
    assert f"新发出 {created} 份" in client.get(f"/jobs/{job_id}").get_data(as_text=True)
    # pressed again later: a new job that writes nothing twice (one request per enterprise and quarter)
    again = _job_id(client.post("/surveys/quarter", data={"period": "2026Q3"}))
    assert again != job_id and rules.run(again, queued[-1][1])["state"] == "done"
    assert _quarterly("2026Q3") == before + created and _job(again).result["created"] == 0
    login(client, "director")
    assert client.get(f"/jobs/{job_id}").status_code == 404


def test_a_bad_quarter_or_role_starts_no_mailing(ctx, client, queued):
    login(client, "office")
    for bad, message in (("2026-13", "季度"), ("2026M10", "季度"), ("", "季度")):
        page = client.post("/surveys/quarter", data={"period": bad}, follow_redirects=True).get_data(as_text=True)
        assert message in page, bad
    for who in ("officer01", "dept01", "ent01"):
        login(client, who)
        assert client.post("/surveys/quarter", data={"period": "2026Q3"}).status_code in (302, 403)
    assert queued == []


def test_create_quarterly_reports_progress(ctx):
    from app import db, stats
    from app.surveys import rules

    seen = []
    created, skipped = rules.create_quarterly(stats.parse_period("2026Q2"), None, progress=lambda d, t: seen.append((d, t)))
    db.session.rollback()
    n = _served()
    assert seen == [(i, n) for i in range(n + 1)] and len(created) + skipped == n
