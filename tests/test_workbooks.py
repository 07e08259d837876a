"""Every workbook the portal writes goes through the one safe cell writer: text an enterprise
typed reads back as typed — no formula, no link, no workbook XML — in bulletins and the
one-time credentials sheet as in the exports."""
import io

import openpyxl

from app import bulletins, db
from app.models import Issue
from app.roster.credentials import credentials_xlsx
from conftest import login

HOSTILE = ['=HYPERLINK("http://evil.example","点我")', "<r><t>伪造</t></r>", "甲</t></si><si><t>乙", "+1-2", "@SUM(A1)"]


def shown(text):
    """What a cell shows for ``text``: as typed; XlsxWriter's raw rich-text marker <r>…</r> gets
    an invisible zero-width space at its end so that it is written as text."""
    return text + "\u200b" if text.startswith("<r>") and text.endswith("</r>") else text


def _texts(data):
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    return [c for row in ws.iter_rows() for c in row if c.value is not None]


def test_bulletin_workbook_keeps_typed_text_as_text(ctx, client):
    from world import enterprise_of_login

    login(client, "ent01")
    ent = enterprise_of_login("ent01")
    for text in HOSTILE:
        resp = client.post("/ledger/new", data={"enterprise": ent, "title": text, "description": f"直通车反映：{text}"})
        assert resp.status_code == 302, text
    draft = bulletins.generate("weekly")
    data = bulletins.workbook(draft)
    cells = _texts(data)
    values = [c.value for c in cells]
    for text in HOSTILE:
        assert shown(text) in values, text
    assert not any(c.data_type == "f" for c in cells)
    assert not any("hyperlink" in name for name in _zip_names(data))
    db.session.rollback()
    for issue in db.session.query(Issue).filter(Issue.title.in_(HOSTILE)):
        assert issue.source == "direct"


def _zip_names(data):
    import zipfile

    return zipfile.ZipFile(io.BytesIO(data)).namelist()


def test_credentials_sheet_keeps_typed_text_as_text():
    creds = [{"name": t, "unit": t, "title": t, "phone": "13912345678", "username": "u1", "password": "Pw-1234567"}
             for t in HOSTILE]
    cells = _texts(credentials_xlsx(creds))
    values = [c.value for c in cells]
    for text in HOSTILE:
        assert values.count(shown(text)) == 3, text
    assert not any(c.data_type == "f" for c in cells)
