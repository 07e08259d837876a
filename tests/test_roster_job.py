"""确认导入 of the roster runs as a background job (issue 14 item 5, docs/jobs.md#roster-import): the
preview stays in the request, the commit is the task's, the progress counts the rows applied, the
credentials sheet is the job's file for its owner alone, a redelivered task creates nothing twice and
makes one sheet, a failure (a file changed, a row that became invalid, a crash) leaves nothing applied.

Jobs run as in tests/test_jobs.py: ``rules.dispatch`` keeps the task here, ``rules.run`` is what the
worker does."""
import io
import re
from datetime import timedelta

import pytest
import python_calamine
from sqlalchemy import func, select

from conftest import api_token, login
from roster_files import code, messy_xlsx, phone, sample

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture()
def queued(monkeypatch):
    from app.jobs import rules

    sent = []
    monkeypatch.setattr(rules, "dispatch", lambda job: sent.append((job.id, job.task_id)))
    return sent


def _count(model, *where):
    from app import db

    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _state():
    """Everything an import writes, counted."""
    from app.models import Assignment, Enterprise, ImportLog, Officer, User

    return [_count(m) for m in (Enterprise, Officer, Assignment, User)] + [
        _count(ImportLog, ImportLog.dry_run.is_(False), ImportLog.ok.is_(True))]


def _job(job_id):
    from app import db
    from app.jobs.models import Job

    db.session.expire_all()
    return db.session.get(Job, job_id)


def _enterprise(name):
    from app import db
    from app.models import Enterprise

    db.session.expire_all()
    return db.session.scalar(select(Enterprise).where(Enterprise.name == name))


def preview(client, data, name="名册.xlsx", logins="chief"):
    page = client.post("/import/assignments/preview", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), name), "logins": logins})
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:2000]
    found = re.search(r'name="upload" value="([A-Za-z0-9_-]+)"', html)
    return found.group(1) if found else None, html


def confirm(client, token):
    resp = client.post("/import/assignments/commit", data={"upload": token})
    assert resp.status_code == 302 and re.search(r"/jobs/\d+$", resp.headers["Location"]), resp.headers.get("Location")
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def sheet_rows(data):
    rows = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    return {r[4]: r[5] for r in rows[2:]}


def test_confirm_queues_a_job_whose_file_is_the_owners_credentials_sheet(ctx, client, queued):
    from app.jobs import rules
    from app.models import ImportLog

    ents = sample("乾", 51)
    login(client, "office")
    token, html = preview(client, messy_xlsx(ents))
    assert token and "确认导入" in html and "以上为预览" in html
    assert "只有您本人可以下载" in html and "将为3名新服务官开通登录账号" in html
    before = _state()
    job_id = confirm(client, token)
    assert confirm(client, token) == job_id and len(queued) == 1  # pressed twice: the same job
    assert _state() == before and _enterprise(ents[0].name) is None  # nothing in the request
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "导入包联名册：名册.xlsx" in page and "排队中" in page and "只向您本人" in page and "jobs.js" in page
    status = client.get(f"/jobs/{job_id}/status").get_json()
    assert (status["state"], status["kind"], status["done"], status["total"], status["unit"]) == (
        "queued", "import", 0, 6, "行")

    assert rules.run(job_id, queued[0][1])["state"] == "done"
    job = _job(job_id)
    assert (job.state, job.done, job.total) == ("done", 6, 6) and job.attachment_id
    assert abs(job.expires_at - job.finished_at - timedelta(days=rules.keep_days())) < timedelta(seconds=5)  # as any job file
    after = _state()
    assert after[:3] == [before[0] + 6, before[1] + 9, before[2] + 14] and after[3] == before[3] + 3
    assert after[4] == before[4] + 1  # one committed log line
    assert _count(ImportLog, ImportLog.filename == "名册.xlsx", ImportLog.dry_run.is_(False)) == 1
    status = client.get(f"/jobs/{job_id}/status").get_json()
    assert status["result_url"] == f"/jobs/{job_id}/download" and not status["may_retry"]
    assert "已新增企业6家" in status["message"] and "只有您本人可以下载" in status["message"]
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "下载账号及初始密码表" in page and "Cso-" not in page
    sheet = client.get(status["result_url"])
    assert sheet.status_code == 200 and sheet.mimetype == XLSX_MIME and "no-store" in sheet.headers["Cache-Control"]
    assert "UTF-8''" in sheet.headers["Content-Disposition"]
    logins = sheet_rows(sheet.data)
    assert set(logins) == {f"o{phone(51, 1)}", f"o{phone(51, 2)}", f"o{phone(51, 3)}"}
    assert client.get(status["result_url"]).status_code == 200  # the owner may fetch it again until it expires
    # the notification and the job's summary name no password
    from app import db
    from app.notifications.models import Notification

    note = db.session.scalar(select(Notification).where(Notification.kind == "job",
                                                        Notification.url == f"/jobs/{job_id}"))
    assert note.title == f"后台任务已完成：{job.title}，可下载结果文件"
    assert not any(pw in repr(job.result) + note.title + (note.body or "") for pw in logins.values())
    # the confirmed file is gone from the server; the form sent again still lands on the same job
    from app.roster import uploads

    assert uploads.load(token, job.owner_id) is None
    assert confirm(client, token) == job_id and len(queued) == 1
    # done and once only: no retry that would open the logins again
    resp = client.post(f"/jobs/{job_id}/retry", follow_redirects=True)
    assert "不能重试" in resp.get_data(as_text=True) and len(queued) == 1

    # the new officer logs in with the sheet's password and must change it first
    username = f"o{phone(51, 1)}"
    client.post("/logout/")
    assert client.post("/login/", data={"username": username, "password": logins[username]}).status_code == 302
    assert "resetmypassword" in client.get("/").headers["Location"].lower()


def test_the_sheet_expires_like_any_job_file_and_is_never_made_again(ctx, client, queued):
    from app import clock, db
    from app.files import store
    from app.jobs import rules
    from app.jobs.models import Job

    login(client, "office")
    job_id = confirm(client, preview(client, messy_xlsx(sample("坤", 52)))[0])
    rules.run(job_id, queued[0][1])
    sha = _job(job_id).attachment.sha256
    db.session.execute(Job.__table__.update().where(Job.id == job_id).values(
        expires_at=clock.utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert rules.cleanup() == 1
    assert not store.exists(sha) and _job(job_id).attachment_id is None
    status = client.get(f"/jobs/{job_id}/status").get_json()
    assert status["expired"] and status["result_url"] is None and not status["may_retry"]
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "初始密码不再提供" in page and "可重试重新生成" not in page
    assert "不能重试" in client.post(f"/jobs/{job_id}/retry", follow_redirects=True).get_data(as_text=True)
    assert len(queued) == 1


def test_another_user_cannot_commit_the_preview_nor_see_the_job_or_its_sheet(ctx, client, queued):
    from app.jobs import rules

    login(client, "office")
    token, _ = preview(client, messy_xlsx(sample("震", 53)))
    login(client, "director")  # may import too, but this preview is the office's
    resp = client.post("/import/assignments/commit", data={"upload": token}, follow_redirects=True)
    assert "找不到待导入的文件" in resp.get_data(as_text=True) and queued == []
    for forged in ("../../../etc/passwd", "", "x" * 30):
        assert client.post("/import/assignments/commit", data={"upload": forged}).status_code == 302
    assert queued == []
    login(client, "officer01")  # no import permission at all
    assert client.post("/import/assignments/commit", data={"upload": token}).status_code == 403
    assert queued == []

    login(client, "office")
    job_id = confirm(client, token)
    rules.run(job_id, queued[0][1])
    att = _job(job_id).attachment_id
    for other in ("director", "leader", "officer01", "dept01"):
        login(client, other)
        for url in (f"/jobs/{job_id}", f"/jobs/{job_id}/status", f"/jobs/{job_id}/download", f"/files/{att}"):
            assert client.get(url).status_code == 404, (other, url)
        assert client.post(f"/jobs/{job_id}/retry").status_code == 404
        assert client.get(f"/api/v1/job/{job_id}", headers=api_token(client, other)).status_code == 404
        assert f"/jobs/{job_id}" not in client.get("/jobs/").get_data(as_text=True)
        assert client.post("/import/assignments/commit", data={"upload": token}).status_code == (
            302 if other == "director" else 403)  # the director: 找不到待导入的文件
    assert len(queued) == 1


def test_a_redelivered_task_creates_nothing_twice_and_makes_one_sheet(ctx, client, queued, monkeypatch):
    """The worker dies after some rows were written (not committed); the task comes again under the same
    id: it starts over, and the logins, rows and the one sheet are those of the second run only."""
    from app import db
    from app.files.models import Attachment
    from app.jobs import rules
    from app.roster import apply

    monkeypatch.setattr(apply, "CHUNK_ROWS", 2)
    ents = sample("巽", 54)
    login(client, "office")
    job_id = confirm(client, preview(client, messy_xlsx(ents), logins="all")[0])
    task = queued[0][1]
    before = _state()
    started, ticks = [], []
    real_start, real_call = rules.Progress.start, rules.Progress.__call__

    def tracked_start(self):
        started.append(self)
        return real_start(self)

    def killed(self, n=1):
        real_call(self, n)
        ticks.append(n)
        if len(ticks) == 2:  # two slices of rows (and their logins) flushed: the worker is killed
            raise KeyboardInterrupt("worker lost")

    monkeypatch.setattr(rules.Progress, "start", tracked_start)
    monkeypatch.setattr(rules.Progress, "__call__", killed)
    with pytest.raises(KeyboardInterrupt):
        rules.run(job_id, task)
    started[-1].stop()  # the dead worker's progress thread (PostgreSQL) dies with it
    db.session.rollback()  # what the lost connection does to its open transaction
    db.session.remove()
    assert _state() == before and _enterprise(ents[0].name) is None and _job(job_id).state == "running"
    assert _count(Attachment, Attachment.owner_kind == "job", Attachment.owner_id == job_id) == 0

    monkeypatch.setattr(rules.Progress, "__call__", real_call)
    ticks.clear()
    assert rules.run(job_id, task)["state"] == "done"  # delivered again
    assert rules.run(job_id, task) == {"job": job_id, "skipped": "done"}  # and once more, after it finished
    after = _state()
    assert after[:3] == [before[0] + 6, before[1] + 9, before[2] + 14] and after[3] == before[3] + 9
    assert after[4] == before[4] + 1
    assert _count(Attachment, Attachment.owner_kind == "job", Attachment.owner_id == job_id) == 1
    logins = sheet_rows(client.get(f"/jobs/{job_id}/download").data)
    assert len(logins) == 9
    for username, password in logins.items():  # the one sheet holds the passwords that work
        client.post("/logout/")
        assert client.post("/login/", data={"username": username, "password": password}).status_code == 302
        assert "resetmypassword" in client.get("/").headers["Location"].lower(), username


def test_a_duplicate_that_got_past_the_claim_changes_nothing(ctx, client, queued, monkeypatch):
    """Two deliveries of one task at once (a broker's visibility timeout): the second one finds the
    file gone or the job done and neither imports again nor marks the done job failed."""
    from app.jobs import rules

    login(client, "office")
    job_id = confirm(client, preview(client, messy_xlsx(sample("坎", 55)))[0])
    task = queued[0][1]
    assert rules.run(job_id, task)["state"] == "done"
    before, att = _state(), _job(job_id).attachment_id
    monkeypatch.setattr(rules, "claim", lambda job_id, task_id: True)
    assert rules.run(job_id, task)["state"] == "failed"  # the late twin's own answer
    job = _job(job_id)
    assert (job.state, job.attachment_id, job.reason) == ("done", att, None)
    assert _state() == before


def test_a_row_that_became_invalid_fails_the_job_and_nothing_is_applied(ctx, client, queued):
    from app import db
    from app.jobs import rules
    from app.models import Enterprise, ImportLog

    ents = sample("离", 56)
    login(client, "office")
    job_id = confirm(client, preview(client, messy_xlsx(ents), name="离.xlsx")[0])
    # meanwhile someone enters the second enterprise by hand, with another credit code
    db.session.add(Enterprise(name=ents[1].name, credit_code=code(956, 9), is_key=True))
    db.session.commit()
    before = _state()
    assert rules.run(job_id, queued[0][1])["state"] == "failed"
    job = _job(job_id)
    assert job.state == "failed" and job.attachment_id is None
    assert job.reason.startswith("未导入任何数据。第6行［统一社会信用代码］：系统中“"), job.reason
    assert code(956, 9) in job.reason
    assert _state() == before and _enterprise(ents[0].name) is None  # the good rows were not written either
    log = db.session.scalar(select(ImportLog).where(ImportLog.filename == "离.xlsx", ImportLog.dry_run.is_(False)))
    assert log.ok is False and log.report["errors"][0]["row"] == 6
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "失败" in page and "未导入任何数据" in page and f"/jobs/{job_id}/retry" in page
    # the conflict removed, 重试 imports the kept file as previewed
    db.session.delete(_enterprise(ents[1].name))
    db.session.commit()
    queued.clear()
    assert client.post(f"/jobs/{job_id}/retry").status_code == 302 and len(queued) == 1
    assert rules.run(job_id, queued[0][1])["state"] == "done", _job(job_id).reason
    assert _enterprise(ents[0].name) is not None and _job(job_id).attachment_id


def test_data_changed_since_the_preview_fails_the_job(ctx, client, queued):
    """Someone imports the same roster through the API between preview and 确认导入: the confirmed
    preview no longer holds, nothing is written twice and the job says so."""
    from app.jobs import rules
    from app.roster import CHANGED_MESSAGE

    data = messy_xlsx(sample("兑", 57))
    login(client, "office")
    job_id = confirm(client, preview(client, data)[0])
    resp = client.post("/api/v1/import/assignments", headers=api_token(client, "director"),
                       data={"file": (io.BytesIO(data), "兑.xlsx")}, content_type="multipart/form-data")
    assert resp.status_code == 200 and resp.get_json()["created"]["enterprise"] == 6
    before = _state()
    assert rules.run(job_id, queued[0][1])["state"] == "failed"
    assert _job(job_id).reason == "未导入任何数据。" + CHANGED_MESSAGE
    assert _state() == before


def test_a_file_changed_on_the_server_fails_the_job(ctx, client, queued):
    from app.jobs import rules
    from app.roster import uploads

    login(client, "office")
    token, _ = preview(client, messy_xlsx(sample("艮", 58)))
    job_id = confirm(client, token)
    path = uploads._paths(token)[0]
    with open(path, "ab") as fh:
        fh.write(b"\0")
    before = _state()
    assert rules.run(job_id, queued[0][1])["state"] == "failed"
    assert "在预览之后被更改" in _job(job_id).reason and _state() == before


def test_a_crash_while_writing_leaves_nothing_applied(ctx, client, queued, monkeypatch):
    from app import accounts
    from app.files.models import Attachment
    from app.jobs import rules

    calls, real = [], accounts.create_login

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    login(client, "office")
    job_id = confirm(client, preview(client, messy_xlsx(sample("丁", 59)))[0])
    before = _state()
    monkeypatch.setattr(accounts, "create_login", flaky)
    assert rules.run(job_id, queued[0][1])["state"] == "failed"
    job = _job(job_id)
    assert "未写入任何数据" in job.reason and "disk full" not in job.reason
    assert _state() == before and _count(Attachment, Attachment.owner_kind == "job", Attachment.owner_id == job_id) == 0


def test_progress_counts_the_rows_applied(ctx, client, queued, monkeypatch):
    from app.jobs import rules
    from app.roster import apply

    monkeypatch.setattr(apply, "CHUNK_ROWS", 2)
    seen = []
    real_call = rules.Progress.__call__

    def watched(self, n=1):
        real_call(self, n)
        seen.append((self.done, self.total))

    monkeypatch.setattr(rules.Progress, "__call__", watched)
    login(client, "office")
    job_id = confirm(client, preview(client, messy_xlsx(sample("乙", 60)), logins="none")[0])
    assert rules.run(job_id, queued[0][1])["state"] == "done"
    assert seen == [(2, 6), (4, 6), (6, 6)]


def test_without_new_logins_the_result_is_the_import_log(ctx, client, queued):
    from app.jobs import rules

    login(client, "office")
    token, html = preview(client, messy_xlsx(sample("丙", 61)), logins="none")
    assert "初始密码表" not in html
    job_id = confirm(client, token)
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "只向您本人" not in page
    rules.run(job_id, queued[0][1])
    job = _job(job_id)
    status = client.get(f"/jobs/{job_id}/status").get_json()
    assert job.attachment_id is None and status["result_url"] == f"/importlogview/show/{job.result['log']}"
    assert client.get(status["result_url"]).status_code == 200
    assert "查看结果" in client.get(f"/jobs/{job_id}").get_data(as_text=True)
