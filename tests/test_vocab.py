"""The shared vocabulary: the page size setting reaches every list (ledger, FAB lists, REST)."""
import pytest

from conftest import BASE_OVERRIDES, PASSWORD, api_token, login


@pytest.fixture(scope="module")
def small_pages(app):  # after the session app built and seeded the database
    from app import create_app

    return create_app({**BASE_OVERRIDES, "CSO_PAGE_SIZE": 3})


def test_page_size_setting_reaches_every_list(small_pages):
    client = small_pages.test_client()
    login(client, "office", PASSWORD)
    ledger = client.get("/ledger/").get_data(as_text=True)
    assert ledger.count('data-status="') == 3
    enterprises = client.get("/enterpriseview/list/").get_data(as_text=True)
    assert enterprises.count('/enterpriseview/show/') == 3
    headers = api_token(client, "office")
    assert len(client.get("/api/v1/enterprise/", headers=headers).get_json()["result"]) == 3
    assert len(client.get("/api/v1/issue/", headers=headers).get_json()["result"]) == 3


def test_default_page_size_is_25(client):
    login(client, "office")
    assert client.get("/ledger/").get_data(as_text=True).count('data-status="') == 25
