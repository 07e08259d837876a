"""Creating and changing rows: scope on POST and on FK changes, bulk actions, bad input."""
from datetime import timedelta

from sqlalchemy import func, select

from app import clock, db
from app.models import Assignment, Department, Enterprise, Visit
from app.validation import credit_check_char
from conftest import api_token, login
from world import enterprises_of, officer_of


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def valid_code(seed):
    body = f"91410800MA{seed:07d}"
    return body + credit_check_char(body)


def test_officer_posts_visit_for_own_enterprise_defaults_to_self(ctx, client):
    own = enterprises_of("officer01")[0]
    headers = api_token(client, "officer01")
    resp = client.post("/api/v1/visit/", headers=headers, json={
        "enterprise": own, "visit_date": str(clock.today()), "mode": "phone", "summary": "电话了解用电问题"})
    assert resp.status_code == 201, resp.get_json()
    visit = db.session.get(Visit, resp.get_json()["id"])
    assert visit.officer_id == officer_of("officer01").id


def test_officer_cannot_post_visit_for_foreign_enterprise(ctx, client):
    foreign = enterprises_of("officer02")[0]
    before = count(Visit)
    headers = api_token(client, "officer01")
    resp = client.post("/api/v1/visit/", headers=headers, json={
        "enterprise": foreign, "visit_date": str(clock.today()), "mode": "onsite", "summary": "越权"})
    assert resp.status_code == 422
    assert "不在您的服务范围内" in resp.get_json()["message"]["enterprise"][0]
    assert count(Visit) == before


def test_forged_enterprise_id_is_refused_not_created(ctx, client):
    before_v, before_e = count(Visit), count(Enterprise)
    headers = api_token(client, "office")
    resp = client.post("/api/v1/visit/", headers=headers, json={
        "enterprise": 987654, "officer": officer_of("officer01").id, "visit_date": str(clock.today()),
        "mode": "onsite", "summary": "伪造"})
    assert resp.status_code == 422
    assert (count(Visit), count(Enterprise)) == (before_v, before_e)


def test_edit_cannot_move_visit_out_of_scope(ctx, client):
    own, foreign = enterprises_of("officer01")[0], enterprises_of("officer02")[0]
    headers = api_token(client, "officer01")
    created = client.post("/api/v1/visit/", headers=headers, json={
        "enterprise": own, "visit_date": str(clock.today()), "mode": "onsite", "summary": "原始"}).get_json()
    resp = client.put(f"/api/v1/visit/{created['id']}", headers=headers, json={"enterprise": foreign})
    assert resp.status_code == 422
    db.session.expire_all()
    assert db.session.get(Visit, created["id"]).enterprise_id == own
    # same through the HTML form: error next to the field, nothing saved
    login(client, "officer01")
    page = client.post(f"/visitview/edit/{created['id']}", data={
        "enterprise": str(foreign), "visit_date": str(clock.today()), "mode": "onsite", "summary": "改"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "alert-danger" in html and "必填" in html  # the forged option is dropped: as if none was chosen
    db.session.expire_all()
    assert db.session.get(Visit, created["id"]).enterprise_id == own


def test_visit_rules_future_date_and_unassigned_officer(ctx, client):
    own = enterprises_of("officer01")[0]
    headers = api_token(client, "office")
    tomorrow = clock.today() + timedelta(days=1)
    resp = client.post("/api/v1/visit/", headers=headers, json={
        "enterprise": own, "officer": officer_of("officer01").id, "visit_date": str(tomorrow),
        "mode": "onsite", "summary": "未来"})
    assert resp.status_code == 422 and "不能晚于今天" in resp.get_json()["message"]["visit_date"][0]
    resp = client.post("/api/v1/visit/", headers=headers, json={
        "enterprise": own, "officer": officer_of("officer02").id, "visit_date": str(clock.today()),
        "mode": "onsite", "summary": "非包联"})
    assert resp.status_code == 422 and "并未包联" in resp.get_json()["message"]["officer"][0]
    resp = client.post("/api/v1/visit/", headers=headers, json={
        "enterprise": own, "officer": officer_of("officer01").id, "visit_date": "2026-13-40",
        "mode": "fly", "summary": "x"})
    assert resp.status_code == 422 and "YYYY-MM-DD" in resp.get_json()["message"]["visit_date"][0]


def test_html_visit_form_future_date_shows_message_and_keeps_input(ctx, client):
    own = enterprises_of("officer01")[0]
    before = count(Visit)
    login(client, "officer01")
    page = client.post("/visitview/add", data={
        "enterprise": str(own), "visit_date": str(clock.today() + timedelta(days=3)), "mode": "onsite",
        "summary": "这段走访情况不应丢失"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "走访日期不能晚于今天" in html and "这段走访情况不应丢失" in html
    assert count(Visit) == before


def test_enterprise_api_validation_in_chinese(ctx, client):
    headers = api_token(client, "office")
    before = count(Enterprise)
    resp = client.post("/api/v1/enterprise/", headers=headers, json={"name": "新企业甲", "credit_code": "91410800MA0000000X", "phone": "123"})
    msg = resp.get_json()["message"]
    assert resp.status_code == 422
    assert "统一社会信用代码校验位不正确" in msg["credit_code"][0]
    assert "电话号码" in msg["phone"][0]
    resp = client.post("/api/v1/enterprise/", headers=headers, json={"credit_code": valid_code(1)})
    assert resp.status_code == 422 and resp.get_json()["message"]["name"] == ["该字段为必填项。"]
    existing = db.session.scalar(select(Enterprise).limit(1))
    resp = client.post("/api/v1/enterprise/", headers=headers, json={"name": existing.name})
    assert resp.status_code == 422 and "已存在" in resp.get_json()["message"]["name"][0]
    resp = client.post("/api/v1/enterprise/", headers=headers, json={"name": "新企业乙", "credit_code": existing.credit_code})
    assert resp.status_code == 422 and "已被其他企业使用" in resp.get_json()["message"]["credit_code"][0]
    resp = client.post("/api/v1/enterprise/", headers=headers, data="not json", content_type="text/plain")
    assert resp.status_code == 400
    assert count(Enterprise) == before


def test_enterprise_api_normalises_and_creates(ctx, client):
    headers = api_token(client, "office")
    code = valid_code(2)
    resp = client.post("/api/v1/enterprise/", headers=headers, json={
        "name": "焦作市新建测试科技有限公司", "credit_code": code.lower(), "phone": "0391 356 3650"})
    assert resp.status_code == 201, resp.get_json()
    ent = db.session.get(Enterprise, resp.get_json()["id"])
    assert (ent.credit_code, ent.phone) == (code, "0391-3563650")


def test_html_enterprise_form_errors_next_to_fields(ctx, client):
    login(client, "office")
    before = count(Enterprise)
    existing = db.session.scalar(select(Enterprise).limit(1))
    page = client.post("/enterpriseview/add", data={"name": existing.name, "credit_code": "91410800MA00000001", "phone": "12-34"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "统一社会信用代码校验位不正确" in html
    assert "电话号码" in html
    assert count(Enterprise) == before
    page = client.post("/enterpriseview/add", data={"name": existing.name, "credit_code": valid_code(3)})
    assert "已存在" in page.get_data(as_text=True)
    assert count(Enterprise) == before


def test_bulk_action_refuses_rows_outside_scope(ctx, client):
    own = enterprises_of("officer01")[0]
    foreign_visit = db.session.scalar(select(Visit.id).where(Visit.enterprise_id == enterprises_of("officer02")[0]).limit(1))
    headers = api_token(client, "officer01")
    mine = client.post("/api/v1/visit/", headers=headers, json={
        "enterprise": own, "visit_date": str(clock.today()), "mode": "onsite", "summary": "待删"}).get_json()["id"]
    login(client, "officer01")
    client.post("/visitview/action_post", data={"action": "delete_visits", "rowid": [str(mine), str(foreign_visit)]})
    db.session.expire_all()
    assert db.session.get(Visit, foreign_visit) is not None
    assert db.session.get(Visit, mine) is not None  # all or nothing
    client.post("/visitview/action_post", data={"action": "delete_visits", "rowid": [str(mine)]})
    db.session.expire_all()
    assert db.session.get(Visit, mine) is None
    # unknown action and GET on the action route never mutate or crash
    assert client.post("/visitview/action_post", data={"action": "nope", "rowid": ["1"]}).status_code == 302
    assert client.get(f"/visitview/action/delete_visits/{foreign_visit}").status_code == 302
    assert db.session.get(Visit, foreign_visit) is not None


def test_end_assignment_keeps_history(ctx, client):
    office_headers = api_token(client, "office")
    ent = enterprises_of("officer03")[0]
    officer = officer_of("officer04").id
    created = client.post("/api/v1/assignment/", headers=office_headers, json={
        "enterprise": ent, "officer": officer, "role": "liaison", "start_date": "2026-01-05"})
    assert created.status_code == 201, created.get_json()
    dup = client.post("/api/v1/assignment/", headers=office_headers, json={
        "enterprise": ent, "officer": officer, "role": "liaison", "start_date": "2026-02-01"})
    assert dup.status_code == 422
    pk = created.get_json()["id"]
    login(client, "leader")
    client.post("/assignmentview/action_post", data={"action": "end_assignment", "rowid": [str(pk)]})
    db.session.expire_all()
    assert db.session.get(Assignment, pk).end_date is None  # leader may not
    login(client, "office")
    client.post("/assignmentview/action_post", data={"action": "end_assignment", "rowid": [str(pk)]})
    db.session.expire_all()
    row = db.session.get(Assignment, pk)
    assert row.end_date == clock.today() and row.status == "ended" and row.end_reason
    assert client.post(f"/assignmentview/delete/{pk}").status_code == 403  # nobody but Admin holds it
    assert db.session.get(Assignment, pk) is not None


def test_department_delete_and_leader_cannot_post(ctx, client):
    headers = api_token(client, "office")
    resp = client.post("/api/v1/department/", headers=headers, json={"name": "临时测试单位", "kind": "区直部门", "phone": "13912345678"})
    assert resp.status_code == 201
    pk = resp.get_json()["id"]
    leader = api_token(client, "leader")
    assert client.post("/api/v1/department/", headers=leader, json={"name": "领导新增"}).status_code == 403
    assert client.delete(f"/api/v1/department/{pk}", headers=leader).status_code == 403
    assert client.delete(f"/api/v1/department/{pk}", headers=headers).status_code == 200
    assert db.session.get(Department, pk) is None


def _colleague_login(enterprise_id):
    """A login for the liaison who serves ``enterprise_id`` with its chief (the demo's liaisons have none)."""
    from app.accounts import create_login
    from conftest import PASSWORD

    liaison = db.session.scalar(select(Assignment).where(
        Assignment.enterprise_id == enterprise_id, Assignment.role == "liaison", Assignment.end_date.is_(None)))
    assert liaison is not None, "the demo gives every enterprise a liaison"
    create_login("liaison_t", "Officer", PASSWORD, officer_id=liaison.officer_id)
    return liaison.officer


def test_a_liaison_colleague_cannot_change_or_delete_the_chiefs_visit(ctx, client):
    from app.policies.models import PolicyDelivery

    own = enterprises_of("officer01")[0]
    colleague = _colleague_login(own)
    chief = api_token(client, "officer01")
    visit = client.post("/api/v1/visit/", headers=chief, json={
        "enterprise": own, "visit_date": str(clock.today()), "mode": "onsite", "summary": "首席走访"}).get_json()["id"]
    other = api_token(client, "liaison_t")
    assert client.get(f"/api/v1/visit/{visit}", headers=other).status_code == 200  # sees it: same enterprise
    resp = client.put(f"/api/v1/visit/{visit}", headers=other, json={"summary": "改掉", "officer": colleague.id})
    assert resp.status_code == 422 and "本人登记、本人走访" in str(resp.get_json())
    assert client.delete(f"/api/v1/visit/{visit}", headers=other).status_code == 422
    login(client, "liaison_t")
    client.post("/visitview/action_post", data={"action": "delete_visits", "rowid": [str(visit)]})
    client.post(f"/visitview/delete/{visit}")
    page = client.post(f"/visitview/edit/{visit}", data={"summary": "改掉"}, follow_redirects=True)
    assert "本人登记、本人走访" in page.get_data(as_text=True)
    db.session.expire_all()
    row = db.session.get(Visit, visit)
    assert row is not None and row.summary == "首席走访" and row.officer_id == officer_of("officer01").id
    # the colleague's own visit, and the office on anyone's: allowed
    mine = client.post("/api/v1/visit/", headers=other, json={
        "enterprise": own, "visit_date": str(clock.today()), "mode": "phone", "summary": "分包人电话"}).get_json()["id"]
    assert client.put(f"/api/v1/visit/{mine}", headers=other, json={"summary": "分包人电话回访"}).status_code == 200
    # the list offers 编辑 / 删除 (and the row's checkbox) only on the visits the viewer may change
    page = client.get(f"/visitview/list/?_flt_0_enterprise={own}&psize_VisitView=100").get_data(as_text=True)
    assert f"/visitview/edit/{mine}" in page and f"/visitview/delete/{mine}" in page and f'value="{mine}"' in page
    assert f"/visitview/show/{visit}" in page and f"/visitview/edit/{visit}" not in page
    assert f"/visitview/delete/{visit}" not in page and f'value="{visit}" type="checkbox"' not in page
    chief_page = login(client, "officer01").get(f"/visitview/list/?_flt_0_enterprise={own}&psize_VisitView=100")
    assert f"/visitview/edit/{mine}" in chief_page.get_data(as_text=True)  # the chief may correct the liaison's
    login(client, "liaison_t")
    # the enterprise's chief officer answers for its service record: may correct the liaison's visit
    assert client.put(f"/api/v1/visit/{mine}", headers=chief, json={"summary": "分包人电话回访（首席核对）"}).status_code == 200
    assert client.delete(f"/api/v1/visit/{mine}", headers=other).status_code == 200
    # a visit problems were filed from or policy promotion recorded against keeps its history
    office = api_token(client, "office")
    linked = db.session.scalar(select(PolicyDelivery.visit_id).where(PolicyDelivery.visit_id.is_not(None)).limit(1))
    assert linked is not None, "the demo records policy promotion on visits"
    resp = client.delete(f"/api/v1/visit/{linked}", headers=office)
    assert resp.status_code == 422 and "关联政策宣传记录" in str(resp.get_json())
    filed = client.post("/api/v1/visit/", headers=chief, json={
        "enterprise": own, "visit_date": str(clock.today()), "mode": "onsite", "summary": "发现用地问题"}).get_json()["id"]
    issue = client.post("/api/v1/issue/", headers=chief, json={
        "enterprise": own, "title": "用地指标", "description": "扩建缺用地指标", "source": "visit", "visit": filed})
    assert issue.status_code == 201, issue.get_json()
    resp = client.delete(f"/api/v1/visit/{filed}", headers=office)
    assert resp.status_code == 422 and "已登记问题" in str(resp.get_json())
    login(client, "office")
    client.post("/visitview/action_post", data={"action": "delete_visits", "rowid": [str(visit), str(linked)]})
    db.session.expire_all()
    assert db.session.get(Visit, linked) is not None and db.session.get(Visit, visit) is not None  # all or nothing
    assert client.delete(f"/api/v1/visit/{visit}", headers=office).status_code == 200
