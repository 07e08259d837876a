"""The pieces both formats share: 正文 blocks, labelled lists, annex table pages, dates."""
from datetime import date

from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Emu, Mm, Pt

from . import ooxml
from .model import FormTable, Section
from .ooxml import BODY_PT, TITLE_PT, TYPE_WIDTH, fonts

TWO_CHARS = 2 * BODY_PT


def cn_date(day: date) -> str:
    """成文日期 in Arabic numerals without zero padding: 2026年12月1日 (GB/T 9704 7.3.5.1)."""
    return f"{day.year}年{day.month}月{day.day}日"


def due_text(day: date) -> str:
    """A deadline as written in a notice: 2026年12月10日前."""
    return cn_date(day) + "前"


DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五 (heading numbers 一、二、…)."""
    if n < 10:
        return DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[ones] if ones else "")


width = ooxml.text_width


def fit_size(text: str, largest: float, smallest: float = TITLE_PT) -> float:
    """The largest whole point size (≤ ``largest``) that keeps ``text`` on one type-area line;
    never below ``smallest`` (longer text then wraps)."""
    length = max(width(text), 1)
    size = int(TYPE_WIDTH.pt * 0.97 / length)
    return float(max(min(size, largest), smallest))


def title(doc, text: str, *, color: str | None = None, size: float = TITLE_PT, before=0):
    """标题: 2号小标宋, centred, off the character grid."""
    return ooxml.paragraph(doc, text, font=fonts()["title"], size=size, color=color,
                           align=WD_ALIGN_PARAGRAPH.CENTER, line=max(size * 1.5, 28),
                           before=before, snap=False)


def body(doc, text: str):
    """正文 paragraph: 仿宋 3号, first line indented two characters, justified."""
    return ooxml.paragraph(doc, text, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first=TWO_CHARS)


def heading(doc, text: str):
    """一、 in 黑体; （一） in 楷体 (GB/T 9704 7.3.3)."""
    font = fonts()["kai"] if text.startswith(("（", "(")) else fonts()["hei"]
    return ooxml.paragraph(doc, text, font=font, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
                           first=TWO_CHARS)


def sections(doc, blocks: list[Section]) -> None:
    for block in blocks:
        if block.heading.strip():
            heading(doc, block.heading.strip())
        for text in block.paragraphs:
            if text.strip():
                body(doc, text.strip())


def labelled(doc, label: str, text: str, *, label_font: str | None = None):
    """"出席：…" / "附件：…": indented two characters, wrapped lines aligned after the colon."""
    head = label + "："
    para = ooxml.paragraph(doc, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
                           left=TWO_CHARS + BODY_PT * len(head), first=-BODY_PT * len(head))
    ooxml.add_run(para, head, font=label_font)
    ooxml.add_run(para, text)
    return para


def blank(doc, lines: int = 1) -> None:
    for _ in range(lines):
        ooxml.paragraph(doc)


def annex_page(doc, form: FormTable) -> None:
    """An 附件 on a new page: label top-left in 黑体, centred title, a two-column form."""
    ooxml.page_break(doc)
    if form.label:
        ooxml.paragraph(doc, form.label, font=fonts()["hei"])
    title(doc, form.title)
    blank(doc)
    table = doc.add_table(rows=len(form.rows), cols=2)
    ooxml._table_width(table, [Mm(42), Emu(TYPE_WIDTH - Mm(42))])
    ooxml._table_borders(table._tbl.tblPr, {side: 4 for side in
                                             ("top", "left", "bottom", "right",
                                              "insideH", "insideV")})
    for row, (label, value) in zip(table.rows, form.rows):
        row.height = Mm(14) if value else Mm(25)
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        _form_cell(row.cells[0], label, fonts()["hei"], WD_ALIGN_PARAGRAPH.CENTER)
        _form_cell(row.cells[1], value, None, WD_ALIGN_PARAGRAPH.LEFT)
    ooxml.order_tbl_pr(table)


def _form_cell(cell, text, font, align) -> None:
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    para = cell.paragraphs[0]
    ooxml.ppr_child(para, "snapToGrid", val="0")
    fmt = para.paragraph_format
    fmt.alignment = align
    fmt.line_spacing = Pt(22)
    fmt.left_indent = fmt.right_indent = Pt(5)
    if text:
        ooxml.add_run(para, text, font=font, size=ooxml.FOOTER_PT)
