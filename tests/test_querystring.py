"""The REST API's Rison ``q`` is checked before FAB parses it: 400 in Chinese, never a 500."""
from conftest import api_token


def test_rison_that_fab_cannot_take_is_a_400_in_chinese(client):
    headers = api_token(client, "office")
    cases = {
        "(page:1.7e+34,page_size:25)": "Rison",  # prison cannot read an exponent with a sign
        "9" * 5000: "过长",  # a 5,000-digit number would exceed Python's int conversion limit
        "(page:0.5,page_size:25)": "page 应为整数",
        "(page:99999999999,page_size:25)": "超出范围",
        "(filters:" + "!(" * 12 + ")" * 12 + ")": "嵌套过深",
    }
    for q, words in cases.items():
        resp = client.get("/api/v1/visit/", headers=headers, query_string={"q": q})
        assert resp.status_code == 400, q[:40]
        assert words in resp.get_json()["message"]["q"][0], (q[:40], resp.get_json())
    ok = client.get("/api/v1/visit/", headers=headers, query_string={"q": "(page:0,page_size:5)"})
    assert ok.status_code == 200 and len(ok.get_json()["result"]) == 5


def test_the_ledgers_keyword_q_is_not_rison(client):
    """/api/v1/issue/ and the ledger export read q as a search word, not as FAB's Rison."""
    headers = api_token(client, "office")
    resp = client.get("/api/v1/issue/", headers=headers, query_string={"q": "贷款"})
    assert resp.status_code == 200 and resp.get_json()["count"] >= 1
    assert all("贷款" in (r["title"] + r.get("description", "")) for r in resp.get_json()["result"])
    assert client.get("/api/v1/export/ledger", headers=headers, query_string={"q": "贷款"}).status_code == 200
