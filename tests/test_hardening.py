"""Regressions from the security review: scope leaks, type confusion, huge ids, deletes."""
import io
from datetime import timedelta

from sqlalchemy import select

from app import clock, db, ledger
from app.models import Department, Enterprise, Issue
from conftest import POSTGRES, api_token, login
from world import department_of_login, enterprise_of_login


def test_info_pick_lists_are_scoped_and_for_writers_only(client):
    q = "?q=(add_columns:(enterprise:(page:0,page_size:100),officer:(page:0,page_size:100)))"
    officer = api_token(client, "officer01")
    body = client.get("/api/v1/visit/_info" + q, headers=officer).get_json()
    column = next(c for c in body["add_columns"] if c["name"] == "enterprise")
    assert 0 < len(column["values"]) <= 3  # officer01's own enterprises, not the district's 31
    assert client.get("/api/v1/assignment/_info" + q, headers=api_token(client, "ent01")).status_code == 403


def test_enterprise_page_hides_related_lists_from_departments(ctx, client):
    dept = department_of_login("dept01")
    ent = db.session.scalar(select(Issue.enterprise_id).where(Issue.lead_department_id == dept).limit(1))
    login(client, "dept01")
    page = client.get(f"/enterpriseview/show/{ent}").get_data(as_text=True)
    assert "您无权查看此项" in page and "走访情况" not in page


def test_enterprise_does_not_see_internal_fields(ctx, client):
    from flask import current_app

    sm_user = current_app.appbuilder.sm.find_user
    issue = ledger.create_issue(sm_user(username="ent01"), enterprise_of_login("ent01"), "内部", "延期测试")
    ledger.transition(sm_user(username="office"), issue.id, "accept", {})
    ledger.transition(sm_user(username="office"), issue.id, "assign", {"department": department_of_login("dept01")})
    ledger.transition(sm_user(username="dept01"), issue.id, "request_extension",
                      {"new_due": str(clock.today() + timedelta(days=40)), "reason": "内部"})
    db.session.commit()
    ent = client.get(f"/api/v1/issue/{issue.id}", headers=api_token(client, "ent01")).get_json()["result"]
    off = client.get(f"/api/v1/issue/{issue.id}", headers=api_token(client, "office")).get_json()["result"]
    assert ent["pending_extension"] is None and off["pending_extension"] is not None
    login(client, "ent01")
    assert "申请延期至" not in client.get(f"/ledger/{issue.id}").get_data(as_text=True)


def test_no_api_token_before_the_first_password_change(app, ctx, client):
    from app.accounts import create_login

    user = create_login("mustchange", "Leader", "Must-Change-2026!")
    app.appbuilder.sm.require_password_change(user)
    db.session.commit()
    r = client.post("/api/v1/security/login", json={"username": "mustchange", "password": "Must-Change-2026!", "provider": "db"})
    assert r.status_code == 401


def test_wrong_types_and_huge_ids_never_500(ctx, client):
    off = api_token(client, "office")
    ent = enterprise_of_login("ent01")
    for body in ({"enterprise": ent, "description": "d", "title": ["x"]}, {"description": 5}, {"enterprise": [ent]},
                 {"enterprise": {"id": ent}}, {"enterprise": True, "description": "x"}, {"enterprise": "abc"},
                 {"enterprise": 3_000_000_000, "description": "x"}, {"enterprise": ent, "description": "x", "source": ["visit"]}):
        r = client.post("/api/v1/issue/", headers=off, json=body)
        assert r.status_code == 422, (body, r.get_json())
    pk = client.post("/api/v1/issue/", headers=off, json={"enterprise": ent, "description": "类型测试"}).get_json()["id"]
    for body in ({"action": ["accept"]}, {"action": {"a": 1}}, {"action": "accept", "level": ["x"]},
                 {"action": "accept", "triage_class": ["x"]}, {"action": "accept", "version": "x"}):
        r = client.post(f"/api/v1/issue/{pk}/transition", headers=off, json=body)
        assert r.status_code == 422, (body, r.get_json())
    client.post(f"/api/v1/issue/{pk}/transition", headers=off, json={"action": "accept"})
    dept = department_of_login("dept02")
    r = client.post(f"/api/v1/issue/{pk}/transition", headers=off,
                    json={"action": "assign", "department": department_of_login("dept01"), "co_departments": [dept, dept]})
    assert r.status_code == 200 and r.get_json()["result"]["co_departments"] == [dept]
    assert client.put(f"/api/v1/issue/{pk}", headers=off, json={"title": ["x"]}).status_code == 422
    big = "99999999999999999999"
    assert client.get(f"/api/v1/issue/{big}", headers=off).status_code == 404
    assert client.get(f"/api/v1/visit/{big}", headers=off).status_code == 404
    assert client.get("/api/v1/visit/3000000000", headers=off).status_code == 404
    assert client.get(f"/api/v1/issue/?enterprise={big}", headers=off).status_code == 400
    assert client.get("/api/v1/issue/?page=999999999999999999", headers=off).status_code == 400
    r = client.get("/api/v1/visit/?q=(filters:!((col:enterprise,opr:rel_o_m,value:abc)))", headers=off)
    if POSTGRES:
        assert r.status_code == 400  # PostgreSQL refuses to compare an id with text: a clear 400
    else:
        assert r.status_code == 200 and r.get_json()["count"] == 0  # SQLite compares them and finds nothing
    login(client, "office")
    assert client.get(f"/enterpriseview/show/{big}").status_code == 404
    assert client.get(f"/ledger/{big}").status_code == 404
    assert client.post("/visitview/action_post", data={"action": "delete_visits", "rowid": [big]}).status_code == 302
    login(client, "officer01")
    assert client.post("/visitview/action/delete_visits/1").status_code == 302  # bulk-only action: refused, no 500


def test_rows_still_referenced_are_not_deleted(ctx, client):
    off = api_token(client, "office")
    dept_with_login = department_of_login("dept11")
    r = client.delete(f"/api/v1/department/{dept_with_login}", headers=off)
    assert r.status_code == 422 and db.session.get(Department, dept_with_login) is not None
    from app.validation import credit_check_char

    body = "91410800MA8888888"
    ent = client.post("/api/v1/enterprise/", headers=off, json={"name": "焦作市删除测试有限公司", "credit_code": body + credit_check_char(body)}).get_json()["id"]
    client.post("/api/v1/issue/", headers=off, json={"enterprise": ent, "description": "有问题的企业"})
    r = client.delete(f"/api/v1/enterprise/{ent}", headers=off)
    assert r.status_code == 422 and db.session.get(Enterprise, ent) is not None


def test_holiday_import_through_the_page(ctx, client):
    login(client, "office")
    data = "日期,类型,名称\n2027-01-01,休,元旦\n".encode("gb18030")
    r = client.post("/holidayview/import", data={"file": (io.BytesIO(data), "2027.csv")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert r.status_code == 200 and "已导入" in r.get_data(as_text=True)
    from app import workdays
    from app.models import Holiday

    assert workdays.covered(2027)
    db.session.execute(Holiday.__table__.delete().where(Holiday.name == "元旦", Holiday.day >= clock.today().replace(year=2027, month=1, day=1)))
    db.session.commit()
    workdays.invalidate()
