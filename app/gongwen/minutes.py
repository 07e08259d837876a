"""纪要格式 (GB/T 9704-2012 10.3): 会商办公会议纪要.

The red 纪要标志 35 mm below the top of the type area, the number centred under it, a line with
the issuing office (left) and the date (right) over a red rule, then 会议概况, the 议定事项
numbered 一、二、… (黑体 number, 仿宋 text), the 出席/列席/请假 lists (黑体 labels), and the 版记
(分送, 印发机关 and 印发日期 between rules) at the foot of the last page. Page numbers on every
page. A 纪要 carries no seal.
"""
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.shared import Mm

from . import ooxml, parts
from .model import Minutes
from .ooxml import RED, fonts

MARK_LARGEST = 36
LEAD_IN = "会议议定以下事项："


def minutes_docx(minutes: Minutes) -> bytes:
    doc = ooxml.new_document(minutes.printed_on, minutes.title, minutes.printed_by)
    ooxml.page_numbers(doc, skip_first=False)
    size = parts.fit_size(minutes.title, MARK_LARGEST)
    parts.title(doc, minutes.title, color=RED, size=size, before=Mm(35))
    if minutes.number.strip():
        ooxml.paragraph(doc, minutes.number.strip(), align=WD_ALIGN_PARAGRAPH.CENTER, snap=False)
    _issuer_line(doc, minutes)
    parts.blank(doc)
    overview = [text.strip() for text in minutes.overview if text.strip()]
    for text in overview:
        parts.body(doc, text)
    decisions = [text.strip() for text in minutes.decisions if text.strip()]
    if decisions and not (overview and overview[-1].endswith(("：", ":"))):
        parts.body(doc, LEAD_IN)
    for number, text in enumerate(decisions, start=1):
        para = ooxml.paragraph(doc, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first=parts.TWO_CHARS)
        ooxml.add_run(para, parts.cn_number(number) + "、", font=fonts()["hei"])
        ooxml.add_run(para, text)
    _attendance(doc, minutes)
    rows = []
    if minutes.distribution.strip():
        rows.append(("分送：" + minutes.distribution.strip().rstrip("。") + "。", ""))
    rows.append((minutes.printed_by, parts.cn_date(minutes.printed_on) + "印发"))
    ooxml.colophon(doc, rows, rules=True)
    return ooxml.save(doc, minutes.printed_on)


def _issuer_line(doc, minutes: Minutes) -> None:
    """The issuing office flush left and the date flush right over a red rule; 4号 when a long
    office name would not leave room for the date in 3号."""
    day = parts.cn_date(minutes.printed_on)
    size = ooxml.BODY_PT
    if not ooxml._fits(minutes.issuer, day, size, 0, room=ooxml.TYPE_WIDTH):
        size = ooxml.FOOTER_PT
    para = ooxml.paragraph(doc, snap=False, before=14)
    para.paragraph_format.tab_stops.add_tab_stop(ooxml.TYPE_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    ooxml.add_run(para, minutes.issuer, size=size)
    ooxml.add_run(para, "\t" + day, size=size)
    ooxml.border(para, "bottom", "single", 18, space=4)


def _attendance(doc, minutes: Minutes) -> None:
    """出席 / 列席 / 请假, one blank line under the decisions (GB/T 9704 10.3)."""
    lists = [("出席", minutes.present), ("列席", minutes.attending), ("请假", minutes.absent)]
    lists = [(label, [name.strip() for name in names if name.strip()]) for label, names in lists]
    if any(names for _, names in lists):
        parts.blank(doc)
    for label, names in lists:
        if names:
            parts.labelled(doc, label, "、".join(names), label_font=fonts()["hei"])
