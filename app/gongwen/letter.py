"""信函格式 (GB/T 9704-2012 10.1): 交办通知单, 督办单, 函.

Page 1: the red 发文机关标志 about 30 mm from the top edge with a red double line (thick over
thin) 4 mm under it, both in the first-page header so the body keeps the 37 mm top margin on
later pages; a red double line (thin over thick) 20 mm from the bottom edge; no page number.
Then 发文字号 flush right (紧急程度 flush left on the same line), the title two lines down, 主送,
正文, 附件说明, 署名 and 成文日期 laid out for a hand-applied seal, 附注, the 附件 pages, and 版记
(抄送 only, no rules) at the foot of the last page. The system never draws the seal.
"""
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.shared import Mm, Pt

from . import ooxml, parts
from .model import Letter
from .ooxml import BODY_PT, RED, RULE_OVERHANG, fonts

MARK_LARGEST = 30      # pt; the mark shrinks to keep a long office name on one line


def letter_docx(letter: Letter) -> bytes:
    doc = ooxml.new_document(letter.date, letter.title, letter.signer or letter.issuer)
    ooxml.page_numbers(doc, skip_first=True)
    _first_page_frame(doc, letter.issuer)
    _number_line(doc, letter)
    parts.blank(doc, 2)
    parts.title(doc, letter.title)
    parts.blank(doc)
    ooxml.paragraph(doc, letter.recipients.rstrip("：:") + "：")
    parts.sections(doc, letter.sections)
    _attachments(doc, letter.attachments)
    _signature(doc, letter)
    if letter.note:
        note = letter.note.strip()
        if not note.startswith(("（", "(")):
            note = f"（{note}）"
        ooxml.paragraph(doc, note, first=parts.TWO_CHARS)
    for form in letter.annexes:
        parts.annex_page(doc, form)
    if letter.cc:
        cc = letter.cc.strip().rstrip("。") + "。"
        ooxml.colophon(doc, [("抄送：" + cc, "")], rules=False)
    return ooxml.save(doc, letter.date)


def _first_page_frame(doc, issuer: str) -> None:
    section = doc.sections[0]
    section.header_distance = Mm(28)   # the mark's top edge lands about 30 mm from the top
    header = section.first_page_header
    size = parts.fit_size(issuer, MARK_LARGEST, smallest=18)
    mark = header.paragraphs[0]
    ooxml.ppr_child(mark, "snapToGrid", val="0")
    fmt = mark.paragraph_format
    ooxml._line(fmt, size * 1.25, 0, 0)
    fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fmt.left_indent = fmt.right_indent = -RULE_OVERHANG
    ooxml.add_run(mark, issuer, font=fonts()["title"], size=size, color=RED)
    # 4 mm under the mark: thick over thin, 170 mm
    ooxml.border(mark, "bottom", "thickThinSmallGap", 24, space=11)
    footer = section.first_page_footer.paragraphs[0]
    ooxml.ppr_child(footer, "snapToGrid", val="0")
    fmt = footer.paragraph_format
    ooxml._line(fmt, 1, 0, 0)
    fmt.left_indent = fmt.right_indent = -RULE_OVERHANG
    # OOXML names a double border from the paragraph outwards: thick (inside) under thin
    ooxml.border(footer, "top", "thickThinSmallGap", 24, space=0)


def _number_line(doc, letter: Letter) -> None:
    """紧急程度 flush left and 发文字号 flush right, 7/8 of a 3号 character under the red line."""
    para = ooxml.paragraph(doc, before=Pt(BODY_PT * 7 / 8))
    para.paragraph_format.tab_stops.add_tab_stop(ooxml.TYPE_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    if letter.urgency:
        ooxml.add_run(para, letter.urgency, font=fonts()["hei"])
    ooxml.add_run(para, "\t" + letter.number)


def _attachments(doc, names: list[str]) -> None:
    """附件说明: one blank line, "附件：" two characters in; several are numbered 1. 2. …"""
    names = [name.strip().rstrip("。.；;") for name in names if name.strip()]
    if not names:
        return
    parts.blank(doc)
    if len(names) == 1:
        parts.labelled(doc, "附件", names[0])
        return
    parts.labelled(doc, "附件", f"1.{names[0]}")
    indent = parts.TWO_CHARS + BODY_PT * 3
    for number, name in enumerate(names[1:], start=2):
        # wrapped lines align with the name, after "N."
        para = ooxml.paragraph(doc, f"{number}.{name}", left=indent + BODY_PT,
                               first=-BODY_PT, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
        para.paragraph_format.keep_with_next = False


def _signature(doc, letter: Letter) -> None:
    """署名 centred over 成文日期, the date four characters from the right (GB/T 9704 7.3.5.1):
    the room above is left for the seal, which is applied by hand."""
    day = parts.cn_date(letter.date)
    parts.blank(doc, 2)
    signer = letter.signer.strip()
    date_right = 4 * BODY_PT
    centre = date_right + parts.width(day) * BODY_PT / 2
    signer_right = max(centre - parts.width(signer) * BODY_PT / 2, 0)
    ooxml.paragraph(doc, signer, align=WD_ALIGN_PARAGRAPH.RIGHT, right=signer_right or 0)
    ooxml.paragraph(doc, day, align=WD_ALIGN_PARAGRAPH.RIGHT, right=date_right)
