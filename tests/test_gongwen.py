"""GB/T 9704 documents (app/gongwen): read the .docx back and check what an office would check."""
import io
import zipfile
from dataclasses import replace
from datetime import date

import docx
from docx.oxml.ns import qn
from docx.shared import Mm

from app.gongwen import (FormTable, Section, cn_date, cn_number, document_text, due_text,
                         letter_docx, minutes_docx)
from app.gongwen.sample import sample_letter, sample_minutes

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _doc(data):
    return docx.Document(io.BytesIO(data))


def _xml_parts(data):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def _lines(data):
    return document_text(data).splitlines()


def test_dates_are_written_without_zero_padding():
    assert cn_date(date(2026, 12, 1)) == "2026年12月1日"
    assert cn_date(date(2026, 3, 7)) == "2026年3月7日"
    assert due_text(date(2026, 12, 10)) == "2026年12月10日前"
    assert [cn_number(n) for n in (1, 2, 10, 11, 20, 35)] == ["一", "二", "十", "十一", "二十",
                                                              "三十五"]


def test_letter_carries_number_recipients_due_date_and_signature():
    data = letter_docx(sample_letter())
    lines = _lines(data)
    assert lines[0] == "焦作市城乡一体化示范区企业首席服务官办公室"  # the red mark (page-1 header)
    assert "加急\t示范区企服交〔2026〕12号" in lines
    assert "区自然资源局：" in lines
    assert any("2026年12月10日前" in line for line in lines)
    assert "附件：交办事项办理情况反馈表" in lines
    assert "2026年12月1日" in lines
    assert "（联系人：张三，电话：0391-3563650）" in lines
    assert lines[-1] == "抄送：区首席服务官工作领导小组办公室主任，区发改委，区工信局。"
    # order: number, title, 主送, body, 署名, 成文日期
    order = [lines.index(x) for x in ("加急\t示范区企服交〔2026〕12号",
                                      sample_letter().title, "区自然资源局：", "一、企业基本情况",
                                      "2026年12月1日")]
    assert order == sorted(order)


def test_letter_colon_and_attachment_numbering_are_added_once():
    letter = replace(sample_letter(), recipients="区自然资源局：", urgency=None, cc=None,
                     attachments=["反馈表", "企业诉求材料"], annexes=[])
    lines = _lines(letter_docx(letter))
    assert "区自然资源局：" in lines and "区自然资源局：：" not in "".join(lines)
    assert "\t示范区企服交〔2026〕12号" in lines
    assert "附件：1.反馈表" in lines and "2.企业诉求材料" in lines
    assert not any(line.startswith("抄送") for line in lines)


def test_red_mark_and_double_lines_are_on_the_first_page_only():
    doc = _doc(letter_docx(sample_letter()))
    section = doc.sections[0]
    assert section.different_first_page_header_footer
    mark = section.first_page_header.paragraphs[0]
    run = mark.runs[0]
    assert run.font.color.rgb == docx.shared.RGBColor(0xFF, 0, 0)
    bottom = mark._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert bottom.get(qn("w:val")) == "thickThinSmallGap" and bottom.get(qn("w:color")) == "FF0000"
    low = section.first_page_footer.paragraphs[0]._p.pPr.find(qn("w:pBdr")).find(qn("w:top"))
    assert low.get(qn("w:val")) == "thickThinSmallGap"
    # page 1 shows no page number; the odd/even footers hold a PAGE field
    first_footer = section.first_page_footer._element
    assert not first_footer.xpath(".//w:instrText")
    for footer in (section.footer, section.even_page_footer):
        assert "PAGE" in "".join(footer._element.xpath(".//w:instrText/text()"))
        assert footer.paragraphs[0].text.startswith("— ")
    assert doc.settings.odd_and_even_pages_header_footer


def test_page_is_a4_with_gbt9704_margins():
    for data in (letter_docx(sample_letter()), minutes_docx(sample_minutes())):
        section = _doc(data).sections[0]
        pg_sz = section._sectPr.find(qn("w:pgSz"))
        assert (pg_sz.get(qn("w:w")), pg_sz.get(qn("w:h"))) == ("11906", "16838")  # A4 twips
        assert abs(section.page_width - Mm(210)) < Mm(0.01)
        assert abs(section.top_margin - Mm(37)) < Mm(0.01)
        assert abs(section.left_margin - Mm(28)) < Mm(0.01)
        pg_mar = section._sectPr.find(qn("w:pgMar"))
        assert [pg_mar.get(qn("w:" + k)) for k in ("top", "bottom", "left", "right")] == \
            ["2098", "1984", "1587", "1474"]  # twips
        normal = _doc(data).styles["Normal"]
        assert normal.font.size.pt == 16
        spacing = normal.element.pPr.find(qn("w:spacing"))
        assert (spacing.get(qn("w:line")), spacing.get(qn("w:lineRule"))) == ("560", "exact")


def test_east_asian_fonts_on_every_run_and_on_normal():
    data = letter_docx(sample_letter())
    doc = _doc(data)
    normal = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert normal.get(qn("w:eastAsia")) == "仿宋_GB2312" == normal.get(qn("w:ascii"))
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    assert defaults.find(qn("w:rPr")).find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312"
    runs = doc.element.body.iter(qn("w:r"))
    fonts = {}
    for r in runs:
        rfonts = r.find(qn("w:rPr")).find(qn("w:rFonts"))
        assert rfonts.get(qn("w:eastAsia")) == rfonts.get(qn("w:ascii")) == rfonts.get(qn("w:hAnsi"))
        text = "".join(t.text for t in r.iter(qn("w:t")))
        fonts.setdefault(text, rfonts.get(qn("w:eastAsia")))
    assert fonts[sample_letter().title] == "方正小标宋简体"
    assert fonts["一、企业基本情况"] == "黑体"
    assert fonts["加急"] == "黑体"
    assert fonts["区自然资源局："] == "仿宋_GB2312"
    mark = doc.sections[0].first_page_header.paragraphs[0].runs[0]._r
    assert mark.find(qn("w:rPr")).find(qn("w:rFonts")).get(qn("w:eastAsia")) == "方正小标宋简体"


def test_kaiti_for_second_level_headings_and_fonts_follow_settings(app):
    letter = replace(sample_letter(), sections=[Section("（一）办理要求", ["按时反馈。"])])
    with app.app_context():
        app.config["GONGWEN_FONT_BODY"] = "仿宋"
        try:
            doc = _doc(letter_docx(letter))
        finally:
            app.config["GONGWEN_FONT_BODY"] = "仿宋_GB2312"
    by_text = {p.text: p.runs[0]._r.find(qn("w:rPr")).find(qn("w:rFonts")).get(qn("w:eastAsia"))
               for p in doc.paragraphs if p.runs}
    assert by_text["（一）办理要求"] == "楷体_GB2312"
    assert by_text["按时反馈。"] == "仿宋"


def test_no_image_of_any_kind():
    for data in (letter_docx(sample_letter()), minutes_docx(sample_minutes())):
        parts = _xml_parts(data)
        assert not [n for n in parts if n.startswith(("word/media", "docProps/thumbnail"))]
        for name, blob in parts.items():
            if name.endswith(".xml") or name.endswith(".rels"):
                text = blob.decode("utf-8")
                for marker in ("<w:drawing", "<pic:", "<w:pict", "<v:imagedata", "/image"):
                    assert marker not in text, (name, marker)


def test_annex_table_starts_on_its_own_page():
    data = letter_docx(sample_letter())
    body = _doc(data).element.body
    children = list(body.iterchildren())
    tables = [c for c in children if c.tag == qn("w:tbl") and c.find(qn("w:tblPr")).find(
        qn("w:tblpPr")) is None]
    assert len(tables) == 1
    index = children.index(tables[0])
    before = children[:index]
    breaks = [i for i, c in enumerate(before) if c.xpath('.//w:br[@w:type="page"]')]
    assert breaks, "no page break before the annex"
    between = "".join("".join(c.xpath(".//w:t/text()")) for c in before[breaks[-1]:])
    assert between == "附件交办事项办理情况反馈表"
    cells = [tc for tc in tables[0].iter(qn("w:tc"))]
    assert "".join(cells[0].xpath(".//w:t/text()")) == "交办编号"
    assert "".join(cells[1].xpath(".//w:t/text()")) == "示范区企服交〔2026〕12号"
    lines = _lines(data)
    assert "办理情况\t" in lines  # an empty row to fill in by hand


def test_two_annexes_each_get_a_page():
    forms = [FormTable("表一", [("甲", "")], "附件1"), FormTable("表二", [("乙", "")], "附件2")]
    data = letter_docx(replace(sample_letter(), annexes=forms))
    xml = _xml_parts(data)["word/document.xml"].decode()
    assert xml.count('w:type="page"') == 2
    assert xml.index("附件1") < xml.index("表一") < xml.index("附件2") < xml.index("表二")


def test_minutes_number_decisions_and_attendance():
    minutes = sample_minutes()
    data = minutes_docx(minutes)
    lines = _lines(data)
    assert lines[0] == "重大问题会商办公会议纪要"
    assert lines[1] == "示范区企服纪〔2026〕3号"
    assert lines[2] == "焦作市城乡一体化示范区企业首席服务官办公室\t2026年12月3日"
    decisions = [line for line in lines if line[:2] in ("一、", "二、", "三、")]
    assert len(decisions) == 2
    assert decisions[0].startswith("一、关于焦作市某某新材料有限公司")
    assert decisions[0].endswith("完成时限：2026年12月21日前）")
    assert decisions[1].startswith("二、关于某某机械制造有限公司")
    assert any(line.startswith("出席：王某某、区发改委 刘某") for line in lines)
    assert "列席：区首席服务官办公室 张三、首席服务官 李明" in lines
    assert "请假：区财政局 周某（公务）" in lines
    assert lines[-2] == "分送：区首席服务官工作领导小组成员单位，各首席服务官。"
    assert lines[-1] == "焦作市城乡一体化示范区企业首席服务官办公室\t2026年12月3日印发"
    doc = _doc(data)
    title = doc.paragraphs[0].runs[0]
    assert title.font.color.rgb == docx.shared.RGBColor(0xFF, 0, 0)
    numbers = [p.runs[0] for p in doc.paragraphs if p.text.startswith(("一、", "二、"))]
    assert [r.text for r in numbers] == ["一、", "二、"]
    for run in numbers:
        assert run._r.find(qn("w:rPr")).find(qn("w:rFonts")).get(qn("w:eastAsia")) == "黑体"
    # page numbers on every page: no separate first page
    assert not doc.sections[0].different_first_page_header_footer


def test_minutes_colophon_rules_and_empty_lists():
    minutes = replace(sample_minutes(), attending=[], absent=[" "])
    data = minutes_docx(minutes)
    lines = _lines(data)
    assert not any(line.startswith(("列席", "请假")) for line in lines)
    table = [t for t in _doc(data).element.body.iter(qn("w:tbl"))][-1]
    borders = table.find(qn("w:tblPr")).find(qn("w:tblBorders"))
    sizes = {side: borders.find(qn("w:" + side)).get(qn("w:sz")) for side in
             ("top", "insideH", "bottom")}
    assert sizes == {"top": "8", "insideH": "6", "bottom": "8"}  # thick, thin, thick
    float_pr = table.find(qn("w:tblPr")).find(qn("w:tblpPr"))
    assert float_pr.get(qn("w:tblpYSpec")) == "bottom"  # at the foot of the last page


def test_same_data_same_document_and_different_data_different_text():
    first = letter_docx(sample_letter())
    assert letter_docx(sample_letter()) == first  # byte for byte
    assert document_text(letter_docx(sample_letter())) == document_text(first)
    other = letter_docx(sample_letter(due=date(2026, 12, 11)))
    assert document_text(other) != document_text(first)
    assert "2026年12月11日前" in document_text(other)
    renumbered = letter_docx(sample_letter(number="示范区企服交〔2026〕13号"))
    assert document_text(renumbered) != document_text(first)
    minutes = minutes_docx(sample_minutes())
    assert minutes_docx(sample_minutes()) == minutes
    assert document_text(minutes_docx(sample_minutes(number="第3期"))) != document_text(minutes)
    core = _doc(first).core_properties
    assert core.created.date() == date(2026, 12, 1) == core.modified.date()
