"""The OpenAPI spec describes every route and every answer (issue 10 item 14; app/openapi.py): each
path parameter is declared, every operation lists the error answers it can give with the one error
body, and the 422 body is an object of field messages, not a string. The spec is then fuzzed by
schemathesis in .ci/run (tests/api_fuzz.py)."""
import re

from conftest import api_token


def test_every_path_parameter_and_error_answer_is_described(client):
    spec = client.get("/api/v1/_openapi", headers=api_token(client, "officer01")).get_json()
    operations = 0
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "delete"):
                continue
            operations += 1
            declared = {p.get("name") for p in item.get("parameters", []) + op.get("parameters", []) if p.get("in") == "path"}
            declared |= {p["$ref"].rsplit("/", 1)[-1] for p in item.get("parameters", []) + op.get("parameters", []) if "$ref" in p}
            assert set(re.findall(r"\{(\w+)\}", path)) <= declared, (method, path, declared)
            for code in ("400", "401", "403", "404", "422", "500"):
                assert code in op["responses"], (method, path, code)
            body = op["responses"]["422"].get("content", {}).get("application/json", {}).get("schema", {})
            if "$ref" not in op["responses"]["422"]:
                message = body["properties"]["message"]
                assert {"type": "object", "additionalProperties": True} in message["oneOf"], (method, path)
    assert operations > 60
    for path in ("/api/v1/issue/{pk}/transition", "/api/v1/issue/{pk}/history", "/api/v1/import/credentials/{token}",
                 "/api/v1/notice/{pk}", "/api/v1/meeting/{pk}/transition", "/api/v1/{kind}/{owner_id}/attachments"):
        assert path in spec["paths"], path
    kind = next(p for p in spec["paths"]["/api/v1/{kind}/{owner_id}/attachments"]["get"]["parameters"] if p["name"] == "kind")
    assert "issue" in kind["schema"]["enum"]
    for response in spec["components"]["responses"].values():
        assert response["content"]["application/json"]["schema"]["properties"]["message"].get("oneOf")


def test_an_invalid_write_answers_422_with_an_object_as_the_spec_says(client):
    headers = api_token(client, "office")
    resp = client.post("/api/v1/department/", json={"name": "x" * 5000}, headers=headers)
    assert resp.status_code in (400, 422) and isinstance(resp.get_json()["message"], (dict, str))
    if resp.status_code == 422:
        assert isinstance(resp.get_json()["message"], dict)
