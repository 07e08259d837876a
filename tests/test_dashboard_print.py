"""Printable workbooks (issue 14 item 6 = issue 9 item 9): every .xlsx the portal writes has a page
setup that prints — landscape, one page wide, header rows repeated, page numbers, A4 or A3 by width
— and rows of wrapped text tall enough for their lines. Read back from the file's XML."""
import io
import math
import re
import unicodedata
import zipfile

import pytest

from conftest import login

# what a printed page holds, worked out by hand: one column-width unit ≈ 1.9 mm at 100 %;
# landscape widths less 2 × 0.4 in margins: A4 297 − 20.3 mm, A3 420 − 20.3 mm
A4_MM, A3_MM, UNIT_MM = 297 - 20.32, 420 - 20.32, 1.9


def _sheets(data):
    """{sheet name: (sheet XML, print titles or None)} of a workbook."""
    z = zipfile.ZipFile(io.BytesIO(data))
    book = z.read("xl/workbook.xml").decode()
    rels = z.read("xl/_rels/workbook.xml.rels").decode()
    targets = dict(re.findall(r'Id="(rId\d+)"[^>]*Target="([^"]+)"', rels))
    targets.update({k: v for v, k in re.findall(r'Target="([^"]+)"[^>]*Id="(rId\d+)"', rels)})
    out = {}
    for index, (name, rid) in enumerate(re.findall(r'<sheet name="([^"]+)" sheetId="\d+" r:id="(rId\d+)"', book)):
        titles = re.search(rf'<definedName name="_xlnm.Print_Titles" localSheetId="{index}">([^<]+)<', book)
        out[name] = (z.read("xl/" + targets[rid].lstrip("/").removeprefix("xl/")).decode(),
                     titles.group(1) if titles else None)
    return out


def _setup(xml):
    page = dict(re.findall(r'(\w+)="([^"]*)"', re.search(r"<pageSetup [^>]*>", xml).group(0)))
    return page, 'fitToPage="1"' in xml


def _widths(xml):
    """Column widths by 0-based column."""
    widths = {}
    for lo, hi, w in re.findall(r'<col min="(\d+)" max="(\d+)" width="([\d.]+)"', xml):
        for col in range(int(lo) - 1, int(hi)):
            widths[col] = float(w)
    return widths


def _assert_prints_one_page_wide(xml, paper):
    page, fit = _setup(xml)
    assert fit and page.get("orientation") == "landscape" and page.get("fitToHeight") == "0"
    assert page.get("fitToWidth", "1") == "1" and page.get("paperSize") == paper
    assert re.search(r"<oddFooter>[^<]*&amp;P[^<]*&amp;N", xml), "page numbers in the footer"


def _rows(xml):
    """{row number: (height or None, [(column letter, inline text)])} of a streamed sheet."""
    out = {}
    for attrs, body in re.findall(r"<row ([^>]*)>(.*?)</row>", xml):
        number = int(re.search(r'r="(\d+)"', attrs).group(1))
        ht = re.search(r'\sht="([\d.]+)"', " " + attrs)
        cells = re.findall(r'<c r="([A-Z]+)\d+"[^>]*t="inlineStr"><is><t[^>]*>([^<]*)</t>', body)
        out[number] = (float(ht.group(1)) if ht else None, cells)
    return out


def _col(letters):
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def test_the_ledger_prints_on_a3_one_page_wide_with_repeated_headers_and_tall_enough_rows(ctx, client):
    from app import db
    from app.models import Issue

    issue = db.session.get(Issue, 1)
    issue.description = "企业反映厂区道路年久失修，雨季积水严重，影响原料运输和员工通勤，希望协调住建、交通部门尽快安排维修资金并明确施工时间。" * 2
    db.session.commit()
    login(client, "office")
    resp = client.get("/export/ledger")
    data, last_data_row = resp.data, 3 + int(resp.headers["X-Export-Rows"])
    sheets = _sheets(data)
    ledger, titles = sheets["问题台账"]
    _assert_prints_one_page_wide(ledger, "8")  # A3
    assert titles.endswith("$3:$3")  # the header row on every page
    widths = _widths(ledger)
    assert len(widths) == 25
    scale = A3_MM / (sum(widths.values()) * UNIT_MM)
    assert scale >= 0.55, f"25 columns print at {scale:.0%} of their size on A3"  # was ~40 %
    rows = _rows(ledger)
    long_rows = 0
    for number, (height, cells) in rows.items():
        if not 3 < number <= last_data_row:
            continue
        for letters, text in cells:
            # a CJK character takes 2 units, a Latin one 1; a column of W units holds about W of them
            units = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
            need = math.ceil(units / widths[_col(letters)])
            if need >= 2:
                long_rows += 1
                assert height is not None and height >= 12 * need, (number, letters, need, height)
    assert long_rows > 0  # the long description wraps and its row grew
    total = sum(widths.values())
    for number, (height, cells) in rows.items():  # the 注 lines, merged across the table
        if number > last_data_row and cells:
            units = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in cells[0][1])
            assert height >= 11 * math.ceil(units / total), (number, height)
    summary, _ = sheets["汇总"]
    page, fit = _setup(summary)
    assert fit and page["orientation"] == "landscape" and page["paperSize"] == "9"  # six columns: A4


@pytest.mark.parametrize("kind", ["assignments", "visits", "officers"])
def test_the_other_exports_choose_a4_or_a3_by_their_width(ctx, client, kind):
    login(client, "office")
    data = client.get(f"/export/{kind}").data
    (xml, _titles), = _sheets(data).values()
    total = sum(_widths(xml).values())
    # A4 unless the text would print below 75 % there
    expected = "9" if A4_MM / (total * UNIT_MM) >= 0.75 else "8"
    _assert_prints_one_page_wide(xml, expected)


def test_the_bulletin_and_the_dashboard_workbooks_print(ctx, client):
    from app import bulletins, db
    from app.models import Bulletin

    bulletin = bulletins.generate("weekly")
    bulletin.data = {**bulletin.data, "new": [["2026-0001", "焦作市恒达精密机械有限公司",
                                               "厂区道路年久失修，雨季积水严重，影响原料运输和员工通勤，希望尽快维修。" * 2,
                                               "待受理", ""]]}
    db.session.commit()
    data = bulletins.workbook(db.session.get(Bulletin, bulletin.id))
    (xml, _), = _sheets(data).values()
    _assert_prints_one_page_wide(xml, "9")
    heights = dict(re.findall(r'<row r="(\d+)"[^>]*\sht="([\d.]+)"', xml))
    # the long problem text (about 70 CJK characters in a 36-unit column) needs 4–5 lines
    assert any(float(h) >= 4 * 12 for h in heights.values()), heights

    login(client, "office")
    data = client.get("/dashboard/league.xlsx").data
    (xml, titles), = _sheets(data).values()
    _assert_prints_one_page_wide(xml, "9")
    assert titles.endswith("$1:$5") or titles.endswith("$5:$5")
    assert '<mergeCell ref="A3:' in xml  # the definition spans the table instead of one tall cell


def test_wrapped_text_in_any_in_memory_sheet_gets_its_height():
    from app.exports import workbook

    out = io.BytesIO()
    wb = workbook.open_workbook(out, streaming=False)
    ws = wb.add_worksheet("表")
    wrap = wb.add_format({"text_wrap": True, "font_size": 10})
    ws.set_column(0, 0, 10)
    ws.write_string(0, 0, "短", wrap)
    ws.write_string(1, 0, "这是一段需要折行显示的比较长的文字内容共二十五个汉字左右", wrap)  # 28 chars
    ws.set_row(2, 40)
    ws.write_string(2, 0, "这是一段需要折行显示的比较长的文字内容共二十五个汉字左右", wrap)  # its own height stays
    ws.write_string(3, 0, "这是一段不折行的比较长的文字内容")  # no wrap: nothing to do
    workbook.setup_sheet(ws)
    wb.close()
    (xml, _), = _sheets(out.getvalue()).values()
    heights = {int(r): float(h) for r, h in re.findall(r'<row r="(\d+)"[^>]*\sht="([\d.]+)"', xml)}
    # 28 CJK characters = 56 units in a 10-unit column: 6 lines or more
    assert heights.get(2, 0) >= 6 * 12 and 1 not in heights and abs(heights[3] - 40) < 1 and 4 not in heights


def test_every_page_links_the_print_stylesheet(ctx, client):
    """Lists and detail pages print the record: no navbar, buttons, forms (filter bars), pagination or
    link addresses; the tiers' row colours kept over Bootstrap's print reset; A4 landscape."""
    login(client, "office")
    for url in ("/ledger/", "/ledger/1", "/enterpriseview/list/", "/enterpriseview/show/1", "/notices/",
                "/jobs/", "/dashboard/"):
        page = client.get(url).get_data(as_text=True)
        assert re.search(r'<link rel="stylesheet" href="/static/cso-print\.css[^"]*" media="print">', page), url
    css = client.get("/static/cso-print.css").get_data(as_text=True)
    assert "@page { size: A4 landscape" in css
    hidden = css[css.index("display: none !important") - 600:css.index("display: none !important")]
    for selector in (".navbar", ".btn", "form", ".pagination", "#cso-filters", "#accordion1", "th.action_checkboxes"):
        assert selector in hidden, selector
    assert "a[href]:after, abbr[title]:after { content: none !important; }" in css
    for tier in ("danger", "warning", "success"):
        assert f".table > tbody > tr.{tier} > td" in css  # more specific than Bootstrap's `.table td` reset
    assert "print-color-adjust: exact" in css


def test_a_printed_ledger_page_says_which_page_it_is_and_where_the_whole_list_is(ctx, client):
    """A list page prints its own rows: the print says so (page n of m, how many in all, 导出Excel for the
    whole list) and leaves out the page-size picker and the jump form (the walk-through's print of /ledger/
    showed 25 of 61 rows, the picker and no page number)."""
    login(client, "office")
    page = client.get("/ledger/?page_size=10&page=1").get_data(as_text=True)
    total = int(re.search(r'<span id="cso-count">(\d+)</span>', page).group(1))
    note = re.search(r'<p class="visible-print-block" id="cso-print-extent">([^<]+)</p>', page)
    assert note and f"第 2 页（每页 10 条），共 {-(-total // 10)} 页 {total} 条" in note.group(1) and "导出Excel" in note.group(1)
    css = client.get("/static/cso-print.css").get_data(as_text=True)
    hidden = css[:css.index("display: none !important")]
    assert "#cso-page-sizes" in hidden and "#cso-goto" in hidden
    small = client.get(f"/ledger/?page_size=100").get_data(as_text=True)
    assert total <= 100 and 'id="cso-print-extent"' not in small  # one page: nothing to explain
