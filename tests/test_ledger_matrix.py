"""Every action × status × role through POST /api/v1/issue/<id>/transition (table-driven).

The expectation below is written from the business rules (DESIGN.md §4, the ledger issue), not
read from app.ledger: who may act, from which statuses; the outcome must be the HTTP answer.
"""
import pytest
from flask import current_app

from app import db, ledger
from app.models import Issue
from conftest import api_token
from world import department_of_login, enterprise_of_login

STATUSES = ["new", "accepted", "assigned", "in_progress", "resolved", "closed", "unable", "void"]
USERS = ["office", "director", "leader", "officer01", "officer02", "dept01", "dept02", "dept03", "ent01", "ent02"]

# action → (who may, from which statuses)
RULES = {
    "accept": ({"office", "director"}, {"new"}),
    "assign": ({"office", "director"}, {"accepted"}),
    "acknowledge": ({"dept01"}, {"assigned"}),
    "progress": ({"office", "director", "dept01", "dept02", "officer01"}, {"assigned", "in_progress"}),
    "return": ({"dept01"}, {"assigned", "in_progress"}),
    "request_extension": ({"dept01"}, {"assigned", "in_progress"}),
    "approve_extension": ({"office", "director"}, {"assigned", "in_progress"}),
    "reject_extension": ({"office", "director"}, {"assigned", "in_progress"}),
    "escalate": ({"office", "director", "officer01"}, {"accepted", "assigned", "in_progress"}),
    "resolve": ({"dept01", "officer01"}, {"new", "accepted", "in_progress"}),
    "confirm": ({"ent01", "office", "director"}, {"resolved"}),
    "close": ({"office", "director"}, {"resolved"}),
    "declare_unable": ({"dept01"}, {"assigned", "in_progress"}),
    "approve_unable": ({"office", "director"}, {"assigned", "in_progress"}),
    "void": ({"office", "director"}, {"new", "accepted"}),
}
AFTER = {  # the status a successful action leads to (None: unchanged)
    "accept": "accepted", "assign": "assigned", "acknowledge": "in_progress", "return": "accepted",
    "resolve": "resolved", "close": "closed", "approve_unable": "unable", "void": "void",
}


def params_for(action, ctx_ids):
    return {
        "assign": {"department": ctx_ids["dept02"]},
        "progress": {"note": "已协调，正在办理"},
        "return": {"reason": "不属于本单位职责"},
        "request_extension": {"new_due": "2099-12-31", "reason": "需上级审批"},
        "reject_extension": {"reason": "理由不充分"},
        "escalate": {"level": "consultation", "note": "需会商"},
        "resolve": {"result": "已办结"},
        "confirm": {"satisfaction": "satisfied", "note": "电话回访，企业满意"},
        "declare_unable": {"reason": "政策不允许"},
        "void": {"reason": "重复登记"},
    }.get(action, {})


def sees(user, status):
    if user in ("officer02", "dept03", "ent02"):
        return False
    if user in ("dept01", "dept02"):  # addressed to them only once transferred (a void/new one never was)
        return status in ("assigned", "in_progress", "resolved", "closed", "unable")
    return True


def expected(user, action, status):
    who, sources = RULES[action]
    if not sees(user, status):
        return 404
    if user not in who:
        # roles of the same kind that act only at other statuses, and the co-department, are refused as a role
        return 403
    if status not in sources:
        return 409
    if action == "resolve":
        if user == "officer01" and status == "in_progress":
            return 409  # once transferred, the lead department resolves
        if user == "dept01" and status != "in_progress":
            return 404 if not sees(user, status) else 409
    if action == "confirm" and user != "ent01" and status == "resolved":
        return 200
    return 200


@pytest.fixture(scope="module")
def ids(app):
    with app.app_context():
        return {"enterprise": enterprise_of_login("ent01"), "dept01": department_of_login("dept01"),
                "dept02": department_of_login("dept02"), "dept03": department_of_login("dept03")}


@pytest.fixture(scope="module")
def tokens(app):
    client = app.test_client()
    return {u: api_token(client, u) for u in USERS}


def precondition(action, status):
    """What ``action`` needs beyond the status, where its status allows it."""
    if action in ("approve_extension", "reject_extension") and status in ("assigned", "in_progress"):
        return "extension requested"
    if action == "approve_unable" and status in ("assigned", "in_progress"):
        return "unable declared"
    if action == "close" and status == "resolved":
        return "confirmed"
    return None


def make_issue(ids, status, extra):
    """An issue in ``status`` (built through app.ledger as the right people), plus ``extra``."""
    sm = current_app.appbuilder.sm
    u = {name: sm.find_user(username=name) for name in ("office", "dept01", "ent01", "officer01")}
    issue = ledger.create_issue(u["officer01"], ids["enterprise"], "测试问题", f"矩阵测试 {status} {extra}",
                                category="融资信贷")
    step = lambda who, act, **p: ledger.transition(u[who], issue.id, act, p)  # noqa: E731
    if status != "new":
        step("office", "accept")
    if status == "void":
        ledger.transition(u["office"], issue.id, "void", {"reason": "x"})
    if status in ("assigned", "in_progress", "resolved", "closed", "unable"):
        step("office", "assign", department=ids["dept01"], co_departments=[ids["dept02"]])
    if status in ("in_progress", "resolved", "closed", "unable"):
        step("dept01", "acknowledge")
    if status in ("resolved", "closed"):
        step("dept01", "resolve", result="已解决")
    if status == "closed":
        step("ent01", "confirm", satisfaction="satisfied")
        step("office", "close")
    if status == "unable":
        step("dept01", "declare_unable", reason="无法解决")
        step("office", "approve_unable")
    if extra == "extension requested":
        step("dept01", "request_extension", new_due="2099-06-30", reason="需要时间")
    if extra == "unable declared":
        step("dept01", "declare_unable", reason="无法解决")
    if extra == "confirmed":
        step("ent01", "confirm", satisfaction="satisfied")
    db.session.commit()
    return issue.id


CASES = [(a, s, u) for a in RULES for s in STATUSES for u in USERS]


@pytest.fixture(scope="module")
def issues(checker, ids):
    """One issue per (status, precondition), built once for the module: each test acts on its issue
    and the issue is put back as it was afterwards (conftest restores the tables a test wrote)."""
    with checker.app_context():
        built = {key: make_issue(ids, *key) for key in sorted({(s, precondition(a, s)) for a, s, _ in CASES}, key=str)}
        db.session.remove()
    return built


@pytest.mark.parametrize("action,status,user", CASES)
def test_transition_matrix(app, ctx, client, ids, tokens, issues, action, status, user):
    pk = issues[status, precondition(action, status)]
    events_before = len(db.session.get(Issue, pk).events)
    params = params_for(action, ids)
    resp = client.post(f"/api/v1/issue/{pk}/transition", headers=tokens[user], json={"action": action, **params})
    want = expected(user, action, status)
    assert resp.status_code == want, (resp.get_json(), want)
    body = resp.get_json()
    db.session.expire_all()
    issue = db.session.get(Issue, pk)
    if want == 200:
        assert body["result"]["status"] == issue.status
        if action in AFTER:
            assert issue.status == AFTER[action]
        assert issue.events[-1].action == action and len(issue.events) == events_before + 1
    else:
        assert isinstance(body["message"], (str, dict)) and body["message"]
        assert issue.status == status  # nothing changed
        assert len(issue.events) == events_before  # and no event was written
