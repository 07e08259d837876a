"""Background jobs (issue 14 item 5): exports over the office's threshold run as jobs with progress,
the result is the owner's alone, failures read in Chinese and can be retried, a redelivered task does
the work once, expired files go; one run through a real Celery worker on the SQLite broker."""
import io
import re
import time
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import func, select, text

from conftest import api_token, celery_client, celery_env, login, start_worker, stop_worker


def _threshold(rows):
    from app import db, settings

    settings.save_policy(export_job_rows=rows)
    db.session.commit()


@pytest.fixture()
def queued(monkeypatch):
    """Tasks the web side sends, kept here instead of a broker: [(job id, task id)]."""
    from app.jobs import rules

    sent = []
    monkeypatch.setattr(rules, "dispatch", lambda job: sent.append((job.id, job.task_id)))
    return sent


def _issues(ctx):
    from app import db

    return db.session.execute(text("SELECT count(*) FROM issue")).scalar()


def _job(ctx, job_id):
    from app import db
    from app.jobs.models import Job

    db.session.expire_all()
    return db.session.get(Job, job_id)


def _rows_in(data):
    ws = openpyxl.load_workbook(io.BytesIO(data), read_only=True)["问题台账"]
    return sum(1 for row in ws.iter_rows(min_row=4, values_only=True) if isinstance(row[0], (int, float)))


def test_small_export_stays_instant(ctx, client, queued):
    login(client, "office")
    resp = client.get("/export/ledger")  # 60 demo problems, default threshold 5,000
    assert resp.status_code == 200 and resp.headers["X-Export-Rows"] == str(_issues(ctx))
    assert queued == []


def test_large_export_runs_as_a_job_for_its_owner_only(ctx, client, queued):
    from app import db
    from app.files.models import Attachment
    from app.jobs import rules

    _threshold(10)
    total = _issues(ctx)
    login(client, "office")
    resp = client.get("/export/ledger")
    assert resp.status_code == 302 and re.search(r"/jobs/\d+$", resp.headers["Location"])
    job_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    assert client.get("/export/ledger").headers["Location"].endswith(f"/jobs/{job_id}")  # reload: same job
    assert len(queued) == 1 and queued[0][0] == job_id
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "排队中" in page and "jobs.js" in page and "<script>" not in page
    status = client.get(f"/jobs/{job_id}/status").get_json()
    assert (status["state"], status["done"], status["total"], status["result_url"]) == ("queued", 0, total, None)

    assert rules.run(job_id, queued[0][1])["state"] == "done"  # what the worker does
    job = _job(ctx, job_id)
    assert (job.state, job.done, job.total) == ("done", total, total) and job.expires_at > job.finished_at
    status = client.get(f"/jobs/{job_id}/status").get_json()
    assert status["state"] == "done" and status["result_url"] == f"/jobs/{job_id}/download"
    data = client.get(status["result_url"])
    assert data.status_code == 200 and _rows_in(data.data) == total
    assert "UTF-8''" in data.headers["Content-Disposition"]
    listing = client.get("/jobs/").get_data(as_text=True)
    assert "导出企业问题台账" in listing and "已完成" in listing and f"/jobs/{job_id}/download" in listing

    from app.notifications.models import Notification

    office_id = job.owner_id
    notes = db.session.execute(select(Notification.title, Notification.url).where(
        Notification.user_id == office_id, Notification.kind == "job")).all()
    assert notes == [("后台任务已完成：" + job.title + "，可下载结果文件", f"/jobs/{job_id}")]
    att = job.attachment_id
    token = api_token(client, "office")
    body = client.get(f"/api/v1/job/{job_id}", headers=token).get_json()
    assert {k: body[k] for k in ("state", "done", "total", "result_url")} == {
        "state": "done", "done": total, "total": total, "result_url": f"/jobs/{job_id}/download"}
    # anyone else — the director sees every problem, but not the office's job or its file
    for other in ("director", "officer01", "leader"):
        login(client, other)
        for url in (f"/jobs/{job_id}", f"/jobs/{job_id}/status", f"/jobs/{job_id}/download", f"/files/{att}"):
            assert client.get(url).status_code == 404, (other, url)
        assert client.post(f"/jobs/{job_id}/retry").status_code == 404
        assert client.get(f"/api/v1/job/{job_id}", headers=api_token(client, other)).status_code == 404
        assert f"/jobs/{job_id}" not in client.get("/jobs/").get_data(as_text=True)
    assert client.get("/api/v1/job/999999", headers=token).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Attachment).where(Attachment.owner_kind == "job")) == 1


def test_the_api_answers_202_with_the_job_over_the_threshold(ctx, client, queued):
    _threshold(10)
    token = api_token(client, "officer01")
    from world import enterprises_of  # noqa: F401  (the world helpers load the demo's logins)

    resp = client.get("/api/v1/export/ledger", headers=token)  # officer01 sees fewer than 10 problems
    assert resp.status_code == 200
    token = api_token(client, "office")
    resp = client.get("/api/v1/export/ledger", headers=token)
    assert resp.status_code == 202
    body = resp.get_json()
    assert body["status_url"] == f"/api/v1/job/{body['job']}" and body["total"] == _issues(ctx)
    polled = client.get(body["status_url"], headers=token).get_json()
    assert (polled["state"], polled["done"], polled["result_url"]) == ("queued", 0, None)
    assert client.get("/api/v1/export/ledger?tier=nonsense", headers=token).status_code == 400  # no job for bad filters
    assert len(queued) == 1


def test_a_failed_job_reads_in_chinese_and_retries(ctx, client, queued, monkeypatch):
    from app import exports
    from app.jobs import rules

    _threshold(10)
    login(client, "office")
    job_id = int(client.get("/export/visits").headers["Location"].rsplit("/", 1)[1])

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports, "export", broken)
    assert rules.run(job_id, queued[0][1])["state"] == "failed"
    job = _job(ctx, job_id)
    assert job.state == "failed" and "内部错误" in job.reason and f"任务编号 {job_id}" in job.reason
    assert "disk full" not in job.reason  # the traceback is for the log, not the user
    from app import db
    from app.notifications.models import Notification

    assert db.session.scalar(select(Notification.title).where(Notification.kind == "job")) == f"后台任务失败：{job.title}"
    page = client.get("/jobs/").get_data(as_text=True)
    assert "失败" in page and job.reason in page and f"/jobs/{job_id}/retry" in page
    monkeypatch.undo()
    rules_dispatch = []
    monkeypatch.setattr(rules, "dispatch", lambda job: rules_dispatch.append((job.id, job.task_id)))
    resp = client.post(f"/jobs/{job_id}/retry")
    assert resp.status_code == 302 and rules_dispatch == [(job_id, f"cso-job-{job_id}-1")]
    assert _job(ctx, job_id).state == "queued"
    assert rules.run(job_id, queued[0][1])["skipped"] == "queued"  # the first attempt's late task: ignored
    assert rules.run(job_id, rules_dispatch[0][1])["state"] == "done"
    assert client.post(f"/jobs/{job_id}/retry").status_code == 302  # done with its file: nothing to retry
    assert "不能重试" in client.get(f"/jobs/{job_id}").get_data(as_text=True)


def test_a_redelivered_task_does_the_work_once(ctx, client, queued):
    """acks late: the task may arrive again — after the job finished (nothing happens) or after a
    worker died mid-run (the job is still 'running' under the same task id: it starts over)."""
    from app import db
    from app.files.models import Attachment
    from app.jobs import rules
    from app.jobs.models import Job

    _threshold(10)
    login(client, "office")
    job_id = int(client.get("/export/ledger").headers["Location"].rsplit("/", 1)[1])
    task = queued[0][1]
    db.session.execute(Job.__table__.update().where(Job.id == job_id).values(state="running", done=17))
    db.session.commit()  # as a worker that was killed after 17 rows left it
    assert rules.run(job_id, task)["state"] == "done"
    assert rules.run(job_id, task) == {"job": job_id, "skipped": "done"}
    assert db.session.scalar(select(func.count()).select_from(Attachment).where(
        Attachment.owner_kind == "job", Attachment.owner_id == job_id)) == 1
    assert _job(ctx, job_id).done == _issues(ctx)


def test_progress_is_visible_to_others_while_the_export_runs(ctx, client, queued, monkeypatch):
    from app import db
    from app.exports import common
    from app.jobs import rules

    _threshold(10)
    monkeypatch.setattr(rules, "PROGRESS_SECONDS", 0.0)
    monkeypatch.setattr(common, "CHUNK", 7)
    login(client, "office")
    job_id = int(client.get("/export/ledger").headers["Location"].rsplit("/", 1)[1])
    seen = []
    original = rules.Progress.flush

    def watched(self):
        original(self)
        if db.engine.dialect.name == "sqlite":  # read as the web process would: another connection
            import sqlite3

            con = sqlite3.connect(db.engine.url.database, timeout=1)
            seen.append(con.execute("SELECT state, done, total FROM job WHERE id = ?", (job_id,)).fetchone())
            con.close()

    monkeypatch.setattr(rules.Progress, "flush", watched)
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL: progress goes out from the progress thread (the real-worker test polls it)")
    rules.run(job_id, queued[0][1])
    total = _issues(ctx)
    running = [s for s in seen if s[0] == "running"]
    assert running and all(t == total for _s, _d, t in running)
    assert [d for _s, d, _t in running] == sorted(d for _s, d, _t in running) and 0 < running[-1][1] <= total
    assert len({d for _s, d, _t in running}) > 5


def test_expired_results_are_removed_and_the_job_can_run_again(ctx, client, queued):
    from app import clock, db
    from app.files import store
    from app.jobs import rules
    from app.jobs.models import Job

    _threshold(10)
    login(client, "office")
    job_id = int(client.get("/export/ledger").headers["Location"].rsplit("/", 1)[1])
    rules.run(job_id, queued[0][1])
    job = _job(ctx, job_id)
    sha = job.attachment.sha256
    assert store.exists(sha)
    assert rules.cleanup() == 0  # not yet expired
    db.session.execute(Job.__table__.update().where(Job.id == job_id).values(
        expires_at=clock.utcnow() - timedelta(minutes=1)))
    db.session.commit()
    result = ctx.test_cli_runner().invoke(args=["cso", "jobs-cleanup"])
    assert result.exit_code == 0 and "已删除 1 个" in result.output
    job = _job(ctx, job_id)
    assert job.attachment_id is None and not store.exists(sha)
    status = client.get(f"/jobs/{job_id}/status").get_json()
    assert status["expired"] and status["result_url"] is None and status["may_retry"]
    resp = client.get(f"/jobs/{job_id}/download", follow_redirects=True)
    assert "已过期" in resp.get_data(as_text=True)
    assert client.post(f"/jobs/{job_id}/retry").status_code == 302 and _job(ctx, job_id).state == "queued"


def test_the_threshold_is_an_office_setting(ctx, client, queued):
    from app.settings import get_policy

    assert get_policy().export_job_rows == 5000
    login(client, "office")
    assert "导出超过多少行时转为后台任务" in client.get("/settings/deadlines/").get_data(as_text=True)
    assert client.post("/settings/deadlines/", data={"export_job_rows": "0"}).status_code == 302
    assert get_policy().export_job_rows == 5000  # out of range: refused
    client.post("/settings/deadlines/", data={"export_job_rows": str(_issues(ctx) - 1)})
    assert get_policy().export_job_rows == _issues(ctx) - 1
    assert client.get("/export/ledger").status_code == 302 and len(queued) == 1  # one row over: a job
    client.post("/settings/deadlines/", data={"export_job_rows": str(_issues(ctx))})
    assert client.get("/export/ledger").status_code == 200  # exactly at the threshold: instant


def test_the_user_menu_links_my_jobs(ctx, client):
    for user in ("office", "leader", "officer01", "dept01", "ent01"):
        login(client, user)
        page = client.get("/jobs/").get_data(as_text=True)
        assert 'id="cso-my-jobs"' in page and "暂无后台任务" in page, user


def test_a_real_worker_runs_the_export_job(app, ctx, client, tmp_path, monkeypatch):
    from app.jobs import rules

    env = celery_env(tmp_path)
    sender = celery_client(env)
    monkeypatch.setattr(rules, "dispatch", lambda job: sender.send_task(rules.TASK_NAME, args=[job.id],
                                                                        task_id=job.task_id))
    _threshold(10)
    worker = start_worker(env)
    try:
        login(client, "office")
        started = time.monotonic()
        resp = client.get("/export/ledger")
        assert resp.status_code == 302
        job_id = int(resp.headers["Location"].rsplit("/", 1)[1])
        states = []
        while True:
            status = client.get(f"/jobs/{job_id}/status").get_json()
            states.append(status["state"])
            if status["state"] in ("done", "failed"):
                break
            assert time.monotonic() < started + 120, f"the job never finished: {states[-5:]}"
            time.sleep(0.2)
        assert status["state"] == "done", status
        assert _rows_in(client.get(status["result_url"]).data) == _issues(ctx)
    finally:
        stop_worker(worker)


def test_the_bulletin_draft_is_written_by_a_job(ctx, client, queued):
    from app import db
    from app.jobs import rules
    from app.models import Bulletin

    login(client, "office")
    before = db.session.scalar(select(func.count()).select_from(Bulletin))
    resp = client.post("/bulletins/generate", data={"kind": "monthly"})
    job_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    assert db.session.scalar(select(func.count()).select_from(Bulletin)) == before  # not in the request
    assert "生成月度通报草稿" in client.get(f"/jobs/{job_id}").get_data(as_text=True)
    rules.run(job_id, queued[0][1])
    bulletin = db.session.scalar(select(Bulletin).order_by(Bulletin.id.desc()))
    status = client.get(f"/jobs/{job_id}/status").get_json()
    assert (status["state"], status["done"], status["total"]) == ("done", 1, 1)
    assert status["result_url"] == f"/bulletins/{bulletin.id}" and bulletin.kind == "monthly"
    bad = client.post("/bulletins/generate", data={"kind": "daily"}, follow_redirects=True)
    assert "通报类型应为" in bad.get_data(as_text=True) and len(queued) == 1
