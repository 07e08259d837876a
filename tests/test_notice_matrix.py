"""Every notice action × state × role through POST /api/v1/notice/<id>/transition (table-driven).

Written from issue 12 item 1 and 六(五): the office drafts, submits, registers, sends, verifies and
voids; the director approves or returns (never their own draft) and decides extensions; the lead
unit acknowledges, objects (within 1 working day, once), explains, replies and asks for an extension;
lead and co-units give interim feedback; leaders and officers only read; enterprises see nothing.
"""
import pytest
from flask import current_app

from app import db, ledger
from app.files.rules import attach_generated
from app.models import Notice
from app.notices import rules
from conftest import api_token
from world import department_of_login, enterprise_of_login

STATUSES = ["draft", "submitted", "approved", "registered", "sent", "acknowledged", "replied", "verified", "void"]
USERS = ["office", "director", "leader", "officer01", "officer02", "dept01", "dept02", "dept03", "ent01"]
OFFICE = {"office", "director"}
RUNNING = {"sent", "acknowledged"}

RULES = {  # action → (who may, from which statuses)
    "submit": (OFFICE, {"draft"}),
    "approve": ({"director"}, {"submitted"}),
    "return": ({"director"}, {"submitted"}),
    "register": (OFFICE, {"approved"}),
    "send": (OFFICE, {"registered"}),
    "acknowledge": ({"dept01"}, {"sent"}),
    "object": ({"dept01"}, RUNNING),
    "dismiss_objection": (OFFICE, RUNNING),
    "feedback": ({"dept01", "dept02"}, RUNNING),
    "explain": ({"dept01"}, RUNNING),
    "reply": ({"dept01"}, {"acknowledged"}),
    "verify": (OFFICE, {"replied"}),
    "reject_reply": (OFFICE, {"replied"}),
    "request_extension": ({"dept01"}, RUNNING),
    "approve_extension": ({"director"}, RUNNING),
    "reject_extension": ({"director"}, RUNNING),
    "void": (OFFICE, {"draft", "submitted", "approved", "registered", "sent", "acknowledged"}),
}
AFTER = {"submit": "submitted", "approve": "approved", "return": "draft", "register": "registered", "send": "sent",
         "acknowledge": "acknowledged", "reply": "replied", "verify": "verified", "reject_reply": "acknowledged",
         "void": "void"}
READERS_ONLY = {"leader", "officer01", "officer02", "ent01"}  # no write permission on notices at all


def sees(user, status):
    if user in ("dept01", "dept02"):  # addressed to them once sent (the void one here was never sent)
        return status in ("sent", "acknowledged", "replied", "verified")
    return user in ("office", "director")


def expected(user, action, status):
    who, sources = RULES[action]
    if user in READERS_ONLY:
        return 403  # FAB refuses the write before the row is looked at
    if not sees(user, status):
        return 404
    if user not in who:
        return 403
    if status not in sources:
        return 409
    return 200


def precondition(action, status):
    if status in RUNNING and action in ("approve_extension", "reject_extension"):
        return "extension requested"
    if status in RUNNING and action == "dismiss_objection":
        return "objected"
    return None


def params_for(action, file_id):
    return {
        "return": {"reason": "请补充材料"}, "send": {"delivery": "offline", "note": "纸质件已送达"},
        "object": {"reason": "不属于本单位职责"}, "feedback": {"note": "正在办理"},
        "explain": {"explanation": "需市级审批，正在推进"}, "reply": {"text": "已办结", "attachment": file_id},
        "reject_reply": {"reason": "回复未盖章"}, "request_extension": {"new_due": "2099-12-31", "reason": "需审批"},
        "reject_extension": {"reason": "理由不充分"}, "void": {"reason": "重复交办"},
    }.get(action, {})


def make_notice(issue_id, status, extra):
    """A notice in ``status`` built through app.notices.rules as the right people, plus ``extra``."""
    sm = current_app.appbuilder.sm
    u = {n: sm.find_user(username=n) for n in ("office", "director", "dept01")}
    notice = rules.create_draft(u["office"], {"issue": issue_id, "department": department_of_login("dept01"),
                                              "co_departments": [department_of_login("dept02")],
                                              "body": {"problem": "矩阵测试"}})
    step = lambda who, act, **p: rules.transition(u[who], notice.id, act, p)  # noqa: E731
    path = ["submitted", "approved", "registered", "sent", "acknowledged", "replied", "verified"]
    moves = {"submitted": ("office", "submit", {}), "approved": ("director", "approve", {}),
             "registered": ("office", "register", {}),
             "sent": ("office", "send", {"delivery": "offline", "note": "已送达"}),
             "acknowledged": ("dept01", "acknowledge", {}), "replied": ("dept01", "reply", {}),
             "verified": ("office", "verify", {})}
    file_id = attach_generated("notice", notice.id, "回复.pdf", b"%PDF-1.4\n%%EOF\n", actor=u["dept01"]).id
    if status == "void":
        step("office", "void", reason="x")
    elif status != "draft":
        for state in path[:path.index(status) + 1]:
            who, act, p = moves[state]
            step(who, act, **(p or ({"text": "已办结", "attachment": str(file_id)} if act == "reply" else {})))
    if extra == "extension requested":
        step("dept01", "request_extension", new_due="2099-06-30", reason="需要时间")
    if extra == "objected":
        step("dept01", "object", reason="不属于本单位职责")
    db.session.commit()
    return notice.id, file_id


CASES = [(a, s, u) for a in RULES for s in STATUSES for u in USERS]


@pytest.fixture(scope="module")
def tokens(app):
    client = app.test_client()
    return {u: api_token(client, u) for u in USERS}


@pytest.fixture(scope="module")
def notices(checker):
    with checker.app_context():
        sm = current_app.appbuilder.sm
        issue = ledger.create_issue(sm.find_user(username="officer01"), enterprise_of_login("ent01"), "矩阵问题",
                                    "交办通知单矩阵测试", category="融资信贷")
        ledger.transition(sm.find_user(username="office"), issue.id, "accept")
        db.session.commit()
        keys = sorted({(s, precondition(a, s)) for a, s, _ in CASES}, key=str)
        built = {key: make_notice(issue.id, *key) for key in keys}
        db.session.remove()
    return built


@pytest.mark.parametrize("action,status,user", CASES)
def test_notice_transition_matrix(app, ctx, client, tokens, notices, action, status, user):
    pk, file_id = notices[status, precondition(action, status)]
    before = len(db.session.get(Notice, pk).events)
    resp = client.post(f"/api/v1/notice/{pk}/transition", headers=tokens[user],
                       json={"action": action, **params_for(action, file_id)})
    want = expected(user, action, status)
    assert resp.status_code == want, (resp.get_json(), want)
    db.session.expire_all()
    notice = db.session.get(Notice, pk)
    if want == 200:
        body = resp.get_json()
        assert body["status"] == notice.status and body["id"] == pk
        assert notice.status == AFTER.get(action, status)
        assert notice.events[-1].action == action and len(notice.events) == before + 1
    else:
        assert notice.status == status and len(notice.events) == before  # nothing changed


def test_time_windows(ctx, client, tokens):
    """Objection only within 1 working day of sending and once; an extension ≥ 1 working day before the due date."""
    from datetime import datetime, timedelta

    from app import clock, workdays

    sm = current_app.appbuilder.sm
    issue = ledger.create_issue(sm.find_user(username="officer01"), enterprise_of_login("ent01"), "时限", "时限测试",
                                category="融资信贷")
    ledger.transition(sm.find_user(username="office"), issue.id, "accept")
    pk, _ = make_notice(issue.id, "sent", None)
    notice = db.session.get(Notice, pk)
    sent_day = clock.local(notice.sent_at).date()
    late = datetime.combine(workdays.add_workdays(sent_day, 2), datetime.min.time()) + timedelta(hours=10)
    dept = sm.find_user(username="dept01")
    with clock.at(late):
        with pytest.raises(rules.WorkflowError) as exc:
            rules.transition(dept, pk, "object", {"reason": "太晚了"})
        assert exc.value.status == 409 and "1个工作日" in exc.value.message
    db.session.rollback()
    rules.transition(dept, pk, "object", {"reason": "不属于本单位"})
    with pytest.raises(rules.WorkflowError) as exc:
        rules.transition(dept, pk, "object", {"reason": "再次"})
    assert exc.value.status == 409 and "一次" in exc.value.message
    db.session.rollback()
    notice = db.session.get(Notice, pk)
    on_due = datetime.combine(notice.due_on, datetime.min.time()) + timedelta(hours=10)
    with clock.at(on_due):
        with pytest.raises(rules.WorkflowError) as exc:
            rules.transition(dept, pk, "request_extension", {"new_due": "2099-01-01", "reason": "来不及"})
        assert exc.value.status == 409 and "工作日前" in exc.value.message
    db.session.rollback()
