"""Every action × state × role through POST /api/v1/handover/<id>/transition (table-driven).

Expectations from the rules (issue 15 item 7, docs/recall.md): the outgoing officer notes items and
signs, the incoming officer signs or returns the list, the office confirms and records omissions,
the enterprise acknowledges once the office confirmed; leaders read; a stranger does not see the
list (404 before 403 before 409); units have no permission (403).
"""
import pytest

from app import db
from app.recall.models import Handover
from conftest import api_token
from test_recall_matrix import OFFICE, build, ent_login

# --- handover lists ---------------------------------------------------------------------------------

H_STATES = ["draft", "out_signed", "in_signed", "confirmed", "acknowledged"]
H_OUTGOING = {"draft": "officer02", "out_signed": "officer03", "in_signed": "officer04", "confirmed": "officer05",
              "acknowledged": "officer06"}
H_USERS = ["office", "director", "leader", "outgoing", "officer11", "officer01", "ent_own", "ent01", "dept01"]
H_RULES = {
    "sign_out": ({"outgoing"}, {"draft"}),
    "sign_in": ({"officer11"}, {"out_signed"}),
    "return": ({"officer11"}, {"out_signed"}),
    "confirm": (OFFICE, {"in_signed"}),
    "acknowledge": ({"ent_own"}, {"confirmed"}),
    "note": ({"outgoing"}, {"draft"}),
    "add_item": ({"outgoing"}, {"draft"}),
    "refresh": ({"outgoing"} | OFFICE, {"draft"}),
    "record_omission": (OFFICE, {"confirmed", "acknowledged"}),
}
H_WRITERS = {"office", "director", "outgoing", "officer11", "officer01", "ent_own", "ent01"}
H_AFTER = {"sign_out": "out_signed", "sign_in": "in_signed", "return": "draft", "confirm": "confirmed",
           "acknowledge": "acknowledged"}


def h_sees(who, state):
    if who in ("office", "director", "leader", "outgoing", "officer11"):
        return True
    return who == "ent_own" and state in ("confirmed", "acknowledged")  # the enterprise, once confirmed


def h_expected(who, action, state):
    allowed, states = H_RULES[action]
    if who not in H_WRITERS:
        return 403
    if not h_sees(who, state):
        return 404
    if who not in allowed:
        return 403
    return 200 if state in states else 409


@pytest.fixture(scope="module")
def lists(checker):
    with checker.app_context():
        built = {}
        for state in H_STATES:
            case = build(H_OUTGOING[state], "officer11", "approved", handover_state=state)
            h = case.handovers[0]
            assert h.status == state
            built[state] = (h.id, h.items[0].id, H_OUTGOING[state], ent_login(h.enterprise_id))
        db.session.remove()
    return built


@pytest.fixture(scope="module")
def h_tokens(app, lists):
    client = app.test_client()
    names = {u for u in H_USERS if u not in ("outgoing", "ent_own")}
    names |= {v[2] for v in lists.values()} | {v[3] for v in lists.values()}
    return {u: api_token(client, u) for u in names}


def h_params(action, item_id):
    return {"return": {"reason": "清单缺少承诺事项"}, "note": {"item": item_id, "note": "补充说明"},
            "add_item": {"kind": "promise", "title": "承诺协调用电增容"}, "record_omission": {"title": "漏交的承诺事项"}}.get(action, {})


H_CASES = [(a, s, u) for a in H_RULES for s in H_STATES for u in H_USERS]


@pytest.mark.parametrize("action,state,who", H_CASES)
def test_handover_matrix(ctx, client, h_tokens, lists, action, state, who):
    pk, item_id, out_name, ent_name = lists[state]
    login_name = {"outgoing": out_name, "ent_own": ent_name}.get(who, who)
    h = db.session.get(Handover, pk)
    before_status, before = h.status, len(h.events)
    resp = client.post(f"/api/v1/handover/{pk}/transition", headers=h_tokens[login_name],
                       json={"action": action, **h_params(action, item_id)})
    want = h_expected(who, action, state)
    assert resp.status_code == want, (resp.get_json(), want)
    db.session.expire_all()
    h = db.session.get(Handover, pk)
    if want == 200:
        assert resp.get_json()["result"]["status"] == h.status == H_AFTER.get(action, before_status)
        assert h.events[-1].action == action and len(h.events) == before + 1
    else:
        assert resp.get_json()["message"]
        assert h.status == before_status and len(h.events) == before
