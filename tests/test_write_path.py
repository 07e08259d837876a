"""One write path: rules that lived in screens (draft saving, outbox requeue, bulletin
visibility, the mail preference) answer the same way from their rule modules."""
import inspect

from sqlalchemy import select

from app import bulletins, clock, db, duties, mail, scope
from app.models import Bulletin, OutboundMessage, Report
from conftest import flashes, login
from world import officer_of


def _user(name):
    from flask import current_app

    return current_app.appbuilder.sm.find_user(username=name)


def _report(username, status):
    officer = officer_of(username)
    report = db.session.scalar(select(Report).where(Report.officer_id == officer.id, Report.status == status))
    if report is None and status == "submitted":
        draft = _report(username, "draft")
        duties.submit_report(_user(username), draft.id, "本期走访企业三家，协调用电问题一个。")
        db.session.commit()
        return draft
    return report


def test_a_submitted_report_keeps_its_text(ctx, client):
    report = _report("officer01", "submitted")
    text = report.content
    login(client, "officer01")
    page = client.post(f"/reports/{report.id}", data={"content": "事后改写的内容，已经报送的不能再改。"}, follow_redirects=True)
    assert "只能修改自己尚未报送的报告。" in flashes(page.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Report, report.id).content == text


def test_draft_saving_is_the_officers_own(ctx, client):
    report = _report("officer01", "draft")
    login(client, "officer01")
    page = client.post(f"/reports/{report.id}", data={"content": "草稿：本周计划走访两家企业。"}, follow_redirects=True)
    assert "草稿已保存。" in flashes(page.get_data(as_text=True))
    db.session.expire_all()
    saved = db.session.get(Report, report.id)
    assert saved.notes == "草稿：本周计划走访两家企业。"  # the officer's own text, kept as written
    assert saved.content.endswith("草稿：本周计划走访两家企业。")  # after the facts derived from the data
    try:
        duties.save_draft(_user("officer02"), report.id, "别人的草稿")
        raise AssertionError("another officer saved the draft")
    except duties.DutyError as exc:
        assert exc.status == 403
    db.session.rollback()


def test_requeue_sends_failed_messages_again_but_never_sent_ones(ctx):
    now = clock.utcnow()
    failed = OutboundMessage(to_addr="a@example.org", subject="失败的邮件", body_text="x", body_html="x", created_at=now,
                             not_before=now, status="failed", attempts=6, last_error="SMTP down")
    sent = OutboundMessage(to_addr="b@example.org", subject="已发的邮件", body_text="x", body_html="x", created_at=now,
                           not_before=now, status="sent", attempts=1, sent_at=now)
    db.session.add_all([failed, sent])
    db.session.flush()
    assert mail.requeue([failed, sent]) == 1
    assert (failed.status, failed.attempts) == ("pending", 0)
    assert sent.status == "sent"
    db.session.rollback()


def test_draft_bulletins_are_the_offices_on_every_path(ctx, client):
    draft = bulletins.generate("weekly")
    assert draft.status == "draft"
    assert bulletins.manages(_user("office")) and not bulletins.manages(_user("leader"))
    assert draft.id not in set(db.session.scalars(bulletins.visible(_user("leader")).with_only_columns(Bulletin.id)))
    login(client, "leader")
    assert client.get(f"/bulletins/{draft.id}").status_code == 404
    assert client.get(f"/bulletins/{draft.id}/xlsx").status_code == 404
    login(client, "office")
    assert client.get(f"/bulletins/{draft.id}").status_code == 200


def test_mail_preference_refuses_unknown_modes(ctx, client):
    login(client, "officer01")
    page = client.post("/settings/mail/", data={"mode": "hourly"}, follow_redirects=True)
    assert "请选择“即时提醒”或“每日汇总”。" in flashes(page.get_data(as_text=True))
    try:
        mail.set_mode(_user("officer01"), "weekly")
        raise AssertionError("an unknown mode was stored")
    except ValueError:
        pass


def test_scope_no_longer_imports_the_master_data_rules():
    """The cycle scope ↔ masterdata is gone: masterdata uses scope, never the other way round."""
    assert "masterdata" not in inspect.getsource(scope)


def test_one_answer_to_may_this_user_do_this_outside_a_request(ctx):
    """The rule layer refuses what the screens refuse, also when called from the CLI or a task."""
    from app import masterdata
    from app.models import Enterprise, Visit

    leader, officer, ent_user = _user("leader"), _user("officer01"), _user("ent01")
    own_visit = db.session.scalar(select(Visit).where(Visit.officer_id == officer_of("officer01").id).limit(1))
    assert scope.may(leader, "read", Enterprise) and not scope.may(leader, "write", Enterprise)
    assert scope.may(officer, "delete", Visit, own_visit.id) and not scope.may(ent_user, "delete", Visit, own_visit.id)
    assert not scope.may(officer, "write", Enterprise)
    try:
        masterdata.save(leader, Enterprise(name="领导不能新增的企业"), True)
        raise AssertionError("a leader saved an enterprise")
    except masterdata.RuleError as exc:
        assert exc.errors == {"_": "您没有修改此类数据的权限。"}
    db.session.rollback()
    try:
        masterdata.remove(ent_user, db.session.get(Visit, own_visit.id))
        raise AssertionError("an enterprise deleted a visit")
    except masterdata.RuleError as exc:
        assert exc.errors == {"_": "您没有删除此类数据的权限。"}
    db.session.rollback()
    assert db.session.get(Visit, own_visit.id) is not None


def test_a_phone_is_a_mobile_or_a_landline_never_a_guess(ctx, client):
    from conftest import api_token

    headers = api_token(client, "office")
    bad = client.post("/api/v1/department/", headers=headers, json={"name": "电话校验测试单位甲", "phone": "1383911"})
    assert bad.status_code == 422 and "phone" in bad.get_json()["message"]
    for raw, stored in (("3563650", "0391-3563650"), ("0391 3563651", "0391-3563651"), ("139 3912 3456", "13939123456")):
        resp = client.post("/api/v1/department/", headers=headers, json={"name": f"电话校验测试单位{raw}", "phone": raw})
        assert resp.status_code == 201, resp.get_json()
        assert resp.get_json()["result"]["phone"] == stored
    for raw in ("0391-1383911", "13839110"):  # a local number never starts with 1; 8 digits starting 1 is a cut mobile
        resp = client.post("/api/v1/department/", headers=headers, json={"name": f"电话校验测试单位{raw}", "phone": raw})
        assert resp.status_code == 422, (raw, resp.get_json())


def test_mail_to_a_login_without_an_address_is_shown_as_undeliverable(ctx, client):
    from app.accounts import NO_EMAIL_DOMAIN

    leader = _user("leader")
    real = leader.email
    leader.email = f"leader@{NO_EMAIL_DOMAIN}"
    db.session.commit()
    try:
        draft = bulletins.generate("monthly")
        login(client, "office")
        client.post(f"/bulletins/{draft.id}/publish", data={"commentary": "本月问题办理情况通报。"})
        db.session.expire_all()
        message = db.session.scalar(select(OutboundMessage).where(OutboundMessage.recipient_id == leader.id)
                                    .order_by(OutboundMessage.id.desc()).limit(1))
        assert (message.status, message.to_addr) == ("no_address", "")
        assert "未登记电子邮箱" in message.last_error
        assert mail.deliver(message.id) == "no_address"  # never sent, never retried as a failure
        outbox = client.get("/outboxview/list/").get_data(as_text=True)
        assert "无法投递" in outbox
    finally:
        leader = _user("leader")
        leader.email = real
        db.session.commit()


def test_an_officers_position_names_the_unit_once(ctx, client):
    from app.models import Assignment, EnterpriseUser, Officer

    ent = db.session.scalar(select(EnterpriseUser.enterprise_id).where(EnterpriseUser.user_id == _user("ent01").id))
    officer = db.session.scalar(select(Officer).join(Assignment).where(Assignment.enterprise_id == ent,
                                                                       Assignment.is_current).limit(1))
    old = officer.unit, officer.title
    officer.unit, officer.title = "区党工委", "区党工委副书记"  # as older data stored it
    db.session.commit()
    try:
        login(client, "ent01")
        page = client.get("/").get_data(as_text=True)
        assert f"{officer.name}（区党工委副书记）" in page and "区党工委区党工委" not in page
    finally:
        officer = db.session.get(Officer, officer.id)
        officer.unit, officer.title = old
        db.session.commit()


def test_a_redelivered_outbox_message_overwrites_its_file(ctx, tmp_path):
    """At-least-once delivery to the outbox folder: the same message twice is one .eml file."""
    from flask import current_app

    before = current_app.config["MAIL_OUTBOX"]
    current_app.config["MAIL_OUTBOX"] = str(tmp_path)
    try:
        now = clock.utcnow()
        message = OutboundMessage(to_addr="a@example.org", subject="重复投递", body_text="x", body_html="x",
                                  created_at=now, not_before=now, status="pending", attempts=0)
        db.session.add(message)
        db.session.commit()
        assert mail.deliver(message.id) == "sent"
        db.session.get(OutboundMessage, message.id).status = "pending"  # as if the worker died before marking it
        db.session.commit()
        assert mail.deliver(message.id) == "sent"
        assert len(list(tmp_path.glob("*.eml"))) == 1
    finally:
        current_app.config["MAIL_OUTBOX"] = before


def test_an_empty_department_name_is_refused(ctx, client):
    from conftest import api_token

    resp = client.post("/api/v1/department/", headers=api_token(client, "office"), json={"name": "  ", "kind": "区直部门"})
    assert resp.status_code == 422 and "name" in resp.get_json()["message"]


def test_a_login_made_from_the_cli_may_not_use_its_own_name(checker):
    result = checker.test_cli_runner().invoke(args=["cso", "create-login", "zhangwei2026", "--role", "Office",
                                                    "--password", "Zhangwei2026-x"])
    assert result.exit_code != 0 and "账号或姓名" in result.output
