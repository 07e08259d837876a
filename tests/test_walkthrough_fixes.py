"""Regressions found by walking notices, meetings, 督办单 and 通报批评 in a browser as the office, the
director, a unit, a leader and an enterprise (issue 12, "Done when"). Each test fails on the code
before its fix."""
import io
import re
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from app import clock, db, ledger
from app.accountability import ladder
from app.accountability.models import Criticism, Urge
from app.meetings import rules as meeting_rules
from app.models import Issue, Notice
from conftest import api_token, flashes, login
from world import department_of_login, enterprise_of_login

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _u(name):
    return current_app.appbuilder.sm.find_user(username=name)


def _post(client, headers, kind, pk, action, **params):
    return client.post(f"/api/v1/{kind}/{pk}/transition", headers=headers, json={"action": action, **params})


def _upload(client, headers, pk, name):
    resp = client.post(f"/api/v1/notice/{pk}/attachments", headers=headers,
                       data={"file": (io.BytesIO(PDF), name)}, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    return body.get("id") or body["result"]["id"]


def _new_issue(title="厂区道路破损"):
    issue = ledger.create_issue(_u("officer01"), enterprise_of_login("ent01"), title, "进厂道路破损影响物流。",
                                category="融资信贷")
    ledger.transition(_u("office"), issue.id, "accept")
    db.session.commit()
    return issue.id


# --- notices --------------------------------------------------------------------------------------

def test_a_verified_notice_whose_problem_was_resolved_still_opens(ctx, client):
    """Verifying with 同时将问题办结 resolves the problem; the notice's page then asked the rules module
    for NOTICE_OPEN (not there) and answered 500 to everybody."""
    tokens = {u: api_token(client, u) for u in ("office", "director", "dept01")}
    issue_id = _new_issue()
    resp = client.post("/api/v1/notice/", headers=tokens["office"],
                       json={"issue": issue_id, "department": department_of_login("dept01")})
    assert resp.status_code == 201, resp.get_json()
    pk = resp.get_json()["id"]
    for who, action in (("office", "submit"), ("director", "approve"), ("office", "register")):
        assert _post(client, tokens[who], "notice", pk, action).status_code == 200, action
    scan = _upload(client, tokens["office"], pk, "盖章扫描件.pdf")
    assert _post(client, tokens["office"], "notice", pk, "send", delivery="scan", attachment=scan).status_code == 200
    assert _post(client, tokens["dept01"], "notice", pk, "acknowledge").status_code == 200
    reply = _upload(client, tokens["dept01"], pk, "书面回复.pdf")
    assert _post(client, tokens["dept01"], "notice", pk, "reply", text="已办结。", attachment=reply).status_code == 200
    assert _post(client, tokens["office"], "notice", pk, "verify", resolve_issue="1").status_code == 200
    assert db.session.get(Issue, issue_id).status == "resolved"
    for who in ("office", "director", "leader", "dept01"):
        login(client, who)
        page = client.get(f"/notices/{pk}")
        assert page.status_code == 200, who
        assert "已审结" in page.get_data(as_text=True)
        assert "强制销号" not in page.get_data(as_text=True), "a verified notice no longer blocks 销号"


def test_the_drafted_coordination_has_no_doubled_full_stop(ctx, client):
    """The 前期协调 section joins the problem's progress notes; a note ending in 。 gave “。。”."""
    issue_id = _new_issue()
    ledger.transition(_u("office"), issue_id, "assign", {"department": department_of_login("dept01")})
    ledger.transition(_u("office"), issue_id, "progress", {"note": "已与企业对接，正在办理。"})
    db.session.commit()
    login(client, "office")
    html = client.get(f"/notices/new?issue={issue_id}").get_data(as_text=True)
    assert "已与企业对接，正在办理。" in html
    assert "。。" not in html


# --- meetings -------------------------------------------------------------------------------------

def _meeting(planned, decisions=1, lead="dept01"):
    office = _u("office")
    issue_id = _new_issue("会商测试问题")
    meeting = meeting_rules.create_meeting(office, "consultation", "走查会商", planned, place="三楼")
    act = lambda name, **p: meeting_rules.transition(office, meeting.id, name, p)  # noqa: E731
    act("add_topic", issue=issue_id)
    act("add_participant", department=department_of_login(lead))
    for n in range(decisions):
        act("add_decision", issue=issue_id, text=f"事项{n + 1}", department=department_of_login(lead))
    act("notify")
    db.session.commit()
    return meeting, issue_id


def test_a_meeting_is_not_recorded_as_held_before_it_takes_place(ctx, client):
    later = (clock.now() + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    meeting, _ = _meeting(later)
    office = api_token(client, "office")
    resp = _post(client, office, "meeting", meeting.id, "hold")
    assert resp.status_code == 422, resp.get_json()
    assert "尚未召开" in resp.get_json()["message"]["held_at"][0]
    future = (clock.now() + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M")
    assert _post(client, office, "meeting", meeting.id, "hold", held_at=future).status_code == 422
    earlier = (clock.now() - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")  # held earlier than planned
    resp = _post(client, office, "meeting", meeting.id, "hold", held_at=earlier)
    assert resp.status_code == 200, resp.get_json()
    db.session.expire_all()
    assert meeting_rules.load_for(_u("office"), meeting.id).status == "held"


def _published(decisions=2, lead="dept01"):
    meeting, issue_id = _meeting((clock.now() - timedelta(days=1)).strftime("%Y-%m-%d %H:%M"), decisions, lead)
    office, director = _u("office"), _u("director")
    for who, name, params in ((office, "hold", {}), (office, "edit", {"overview": "会议研究了有关问题。"}),
                              (office, "submit_minutes", {}), (director, "sign", {}), (office, "publish", {})):
        meeting_rules.transition(who, meeting.id, name, params)
    db.session.commit()
    return meeting, issue_id


def test_a_decision_turns_into_one_notice_only_and_the_screen_goes_to_it(ctx, client):
    meeting, _ = _published()
    decision = meeting.decisions[0]
    login(client, "office")
    page = client.get(f"/meeting_decisions/{decision.id}").get_data(as_text=True)
    assert 'data-action="to_notice"' in page
    resp = client.post(f"/meeting_decisions/{decision.id}/act",
                       data={"action": "to_notice", "version": decision.version})
    notice = db.session.scalar(select(Notice).where(Notice.decision_id == decision.id))
    assert notice is not None
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/notices/{notice.id}")
    page = client.get(f"/meeting_decisions/{decision.id}").get_data(as_text=True)
    assert 'data-action="to_notice"' not in page, "no second button once the notice exists"
    assert f"/notices/{notice.id}" in page, "the decision links to its notice"
    again = _post(client, api_token(client, "office"), "meeting_decision", decision.id, "to_notice")
    assert again.status_code == 409, again.get_json()
    assert "不能重复转办" in str(again.get_json()["message"])
    assert len(db.session.scalars(select(Notice).where(Notice.decision_id == decision.id)).all()) == 1
    # a voided notice frees the decision for a new one
    assert _post(client, api_token(client, "office"), "notice", notice.id, "void", reason="重新交办").status_code == 200
    assert _post(client, api_token(client, "office"), "meeting_decision", decision.id, "to_notice").status_code == 200


def test_a_unit_is_not_linked_to_a_problem_it_cannot_open(ctx, client):
    """dept02 leads a decision on a problem led by nobody it knows: the problem's ledger page is a 404
    for it, so the meeting and decision pages show the number without a link."""
    meeting, issue_id = _published(decisions=1, lead="dept02")
    decision = meeting.decisions[0]
    login(client, "dept02")
    assert client.get(f"/ledger/{issue_id}").status_code == 404
    for url in (f"/meetings/{meeting.id}", f"/meeting_decisions/{decision.id}"):
        page = client.get(url)
        assert page.status_code == 200, url
        html = page.get_data(as_text=True)
        number = db.session.get(Issue, issue_id).number
        assert number in html and f'href="/ledger/{issue_id}"' not in html, url
    login(client, "office")
    assert f'href="/ledger/{issue_id}"' in client.get(f"/meetings/{meeting.id}").get_data(as_text=True)


def test_the_topic_choice_lists_a_candidate_once(ctx, client):
    issue_id = _new_issue("需提级会商的问题")
    ledger.transition(_u("office"), issue_id, "escalate", {"level": "consultation", "note": "提请会商"})
    db.session.commit()
    meeting = meeting_rules.create_meeting(_u("office"), "consultation", "候选议题", "2026-11-20 09:30")
    db.session.commit()
    login(client, "office")
    html = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    form = html[html.index('data-action="add_topic"'):]
    form = form[:form.index("</form>")]
    assert len(re.findall(rf'<option value="{issue_id}"', form)) == 1


# --- the ladder, 督办单 and 通报批评 -----------------------------------------------------------------

def _overdue_notice(late_days=6):
    notice = db.session.scalar(select(Notice).where(Notice.status.in_(("sent", "acknowledged"))).order_by(Notice.id))
    notice.due_on = date(2026, 11, 2)
    notice.next_feedback_on = date(2026, 11, 3)
    notice.explanation, notice.explained_at, notice.rework_count = None, None, 0
    db.session.flush()
    return notice


def test_ladder_texts_write_dates_as_documents_do(ctx):
    """“2026年11月2日”, not “2026年11月02日” or “2026-11-03”: the text goes into the 督办单 and the 通报批评."""
    notice = _overdue_notice()
    ladder.escalate(date(2026, 11, 16))
    db.session.commit()
    urges = db.session.scalars(select(Urge).where(Urge.notice_id == notice.id)).all()
    crit = db.session.scalar(select(Criticism).where(Criticism.refs["notice"].as_integer() == notice.id))
    texts = [u.text for u in urges] + [crit.text]
    assert any("2026年11月2日" in t for t in texts) and any("2026年11月3日前" in t for t in texts)
    for text in texts:
        assert not re.search(r"月0\d|日0\d|\d{4}-\d\d-\d\d", text), text


def test_histories_of_urges_and_criticisms_are_in_chinese(ctx, client):
    notice = _overdue_notice()
    ladder.escalate(date(2026, 11, 16))
    db.session.commit()
    urge = db.session.scalar(select(Urge).where(Urge.notice_id == notice.id, Urge.reason == "overdue"))
    crit = db.session.scalar(select(Criticism).where(Criticism.refs["notice"].as_integer() == notice.id))
    login(client, "office")
    assert client.post(f"/urges/{urge.id}/act", data={"action": "send", "version": urge.version}).status_code == 302
    login(client, "director")
    resp = client.post(f"/criticisms/{crit.id}/act", data={"action": "approve", "version": crit.version})
    assert resp.status_code == 302
    for url, words in ((f"/urges/{urge.id}", ("发出督办单",)), (f"/criticisms/{crit.id}", ("起草", "审定"))):
        html = client.get(url).get_data(as_text=True)
        history = html[html.index('id="cso-history"'):]
        history = history[:history.index("</table>")]
        for word in words:
            assert f"<td>{word}</td>" in history, (url, word)
        assert not re.search(r"<td>(send|create|approve|publish|withdraw|reply|cancel)</td>", history), url
        assert "@media print" in html and "#cso-actions" in html, "the page prints without its actions"
    assert not flashes(client.get(f"/criticisms/{crit.id}").get_data(as_text=True))


def test_screens_print_without_navbar_and_actions(ctx, client):
    login(client, "office")
    for url in ("/notices/", "/meetings/", "/meeting_decisions/", "/criticisms/", "/urges/"):
        html = client.get(url).get_data(as_text=True)
        style = html[html.index("@media print"):]
        style = style[:style.index("</style>")]
        assert ".navbar" in style, url


def test_the_published_minutes_file_cannot_be_removed(ctx, client):
    """The office could 删除 the stored 纪要 and every later download of it failed."""
    meeting, _ = _published(decisions=1)
    login(client, "office")
    assert client.get(f"/meetings/{meeting.id}/document").status_code == 200
    db.session.expire_all()
    minutes = db.session.get(type(meeting), meeting.id).attachment_id
    html = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert f"/files/{minutes}/remove" not in html
    client.post(f"/files/{minutes}/remove")
    assert client.get(f"/meetings/{meeting.id}/document").status_code == 200


def test_printed_pages_do_not_spell_out_link_addresses(ctx, client):
    login(client, "office")
    for url in ("/notices/", "/meetings/", "/criticisms/"):
        html = client.get(url).get_data(as_text=True)
        assert "a[href]:after { content: none" in html, url
