"""Low-level WordprocessingML helpers shared by the letter and minutes builders.

python-docx covers paragraphs, runs, sections and tables; what it lacks is set here on the XML:
East-Asian font slots (``w:rFonts/@w:eastAsia`` — ``run.font.name`` sets only the Latin ones),
paragraph borders (the red double lines), the character grid, PAGE fields, and a byte-stable
save. Layout numbers follow GB/T 9704-2012 (app/gongwen/__init__.py).
"""
import io
import zipfile
from datetime import date, datetime

import docx
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt, RGBColor

RED = "FF0000"
BODY_PT = 16            # 3号
TITLE_PT = 22           # 2号
FOOTER_PT = 14          # 4号 (页码, 版记)
LINE_PT = 28            # fixed line spacing of the body
CHAR_SPACING_TWIPS = -5  # −0.25 pt between characters: 28 characters a 156 mm line
CHAR = Pt(BODY_PT)      # one 3号 character, for "空二字" indents
TYPE_WIDTH = Mm(156)    # 版心 width: 210 − 28 − 26
RULE_OVERHANG = Mm(7)   # the 信函 red lines are 170 mm, 7 mm past the type area each side
COLOPHON_WIDTH = TYPE_WIDTH - Mm(5)  # see colophon()

DEFAULT_FONTS = {
    "GONGWEN_FONT_TITLE": "方正小标宋简体",
    "GONGWEN_FONT_BODY": "仿宋_GB2312",
    "GONGWEN_FONT_HEITI": "黑体",
    "GONGWEN_FONT_KAITI": "楷体_GB2312",
    "GONGWEN_FONT_SONG": "宋体",
}


def fonts() -> dict:
    """Font names keyed title/body/hei/kai/song: app config when an app context exists."""
    values = dict(DEFAULT_FONTS)
    try:
        from flask import current_app, has_app_context
        if has_app_context():
            for key in values:
                values[key] = current_app.config.get(key) or values[key]
    except ImportError:  # pragma: no cover - Flask is always installed here
        pass
    return {"title": values["GONGWEN_FONT_TITLE"], "body": values["GONGWEN_FONT_BODY"],
            "hei": values["GONGWEN_FONT_HEITI"], "kai": values["GONGWEN_FONT_KAITI"],
            "song": values["GONGWEN_FONT_SONG"]}


def set_fonts(rpr_owner, name: str) -> None:
    """Put ``name`` in all four rFonts slots (ascii, hAnsi, eastAsia, cs), dropping theme fonts."""
    rpr = rpr_owner.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        rfonts.attrib.pop(qn("w:" + attr), None)
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        rfonts.set(qn("w:" + attr), name)


def _line(fmt, line_pt, before=0, after=0):
    fmt.line_spacing = Pt(line_pt)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.space_before = Pt(before) if not hasattr(before, "emu") else before
    fmt.space_after = Pt(after)


def new_document(when: date, title: str, author: str):
    """An A4 document with the GB/T 9704 page, the Normal style and fixed core properties."""
    doc = docx.Document()
    package = doc.part.package
    for rid, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:  # the template's preview picture: no image of any kind
            del package.rels[rid]
    names = fonts()
    _set_defaults(doc, names["body"])
    section = doc.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.gutter = 0
    section.header_distance = Mm(15)
    # the footer's foot is 20 mm up (the 信函 lower red line); "— 1 —" stands 5 mm higher, so
    # its middle is about 7 mm under the type area (GB/T 9704 7.5)
    section.footer_distance = Mm(20)
    _char_grid(section)
    moment = datetime(when.year, when.month, when.day, 9, 0, 0)
    core = doc.core_properties
    core.title, core.author, core.last_modified_by = title, author, author
    core.subject = core.keywords = core.category = core.comments = ""
    core.created = core.modified = core.last_printed = moment
    core.revision = 1
    return doc


def _set_defaults(doc, body_font: str) -> None:
    styles = doc.styles.element
    rpr = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    rfonts = rpr.find(qn("w:rFonts"))
    for attr in list(rfonts.attrib):
        del rfonts.attrib[attr]
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        rfonts.set(qn("w:" + attr), body_font)
    for tag in ("w:sz", "w:szCs"):
        rpr.find(qn(tag)).set(qn("w:val"), str(BODY_PT * 2))
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    normal.font.color.rgb = RGBColor(0, 0, 0)
    set_fonts(normal.element, body_font)
    tighten = OxmlElement("w:spacing")  # twentieths of a point; see _char_grid
    tighten.set(qn("w:val"), str(CHAR_SPACING_TWIPS))
    normal.element.get_or_add_rPr().insert_element_before(
        tighten, "w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u",
        "w:effect", "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em",
        "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath")
    _line(normal.paragraph_format, LINE_PT)
    normal.paragraph_format.widow_control = False  # 22 full lines a page, as typeset documents do


def _char_grid(section) -> None:
    """Line grid at 28 pt. The 28 characters a line come from the Normal style's -0.25 pt
    character spacing (16 pt glyphs at 15.75 pt fill 156 mm 28 times): a ``linesAndChars``
    grid with a negative ``charSpace`` does that in Word but makes LibreOffice give each
    character two grid cells."""
    sect_pr = section._sectPr
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect_pr.append(grid)
    grid.attrib.clear()
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE_PT * 20))


def paragraph(container, text: str = "", *, font: str | None = None, size: float = BODY_PT,
              color: str | None = None, align=None, first: float = 0, left: float = 0,
              right: float = 0, line: float = LINE_PT, before=0, after: float = 0,
              snap: bool = True):
    """One paragraph holding one run (or none for an empty line). Indents are in points.

    ``snap=False`` takes the paragraph off the character grid: display type (the red mark,
    titles, tables) would otherwise be stretched to whole grid cells.
    """
    para = container.add_paragraph()
    if not snap:
        ppr_child(para, "snapToGrid", val="0")
    fmt = para.paragraph_format
    _line(fmt, line, before, after)
    if align is not None:
        fmt.alignment = align
    if first:
        fmt.first_line_indent = Pt(first)
    if left:
        fmt.left_indent = Pt(left)
    if right:
        fmt.right_indent = Pt(right)
    if text:
        add_run(para, text, font=font, size=size, color=color)
    return para


def add_run(para, text: str, *, font: str | None = None, size: float = BODY_PT,
            color: str | None = None, bold: bool = False):
    run = para.add_run(text)
    set_fonts(run._r, font or fonts()["body"])
    run.font.size = Pt(size)
    run.font.bold = bold or None
    if color:
        run.font.color.rgb = RGBColor.from_string(color)
    return run


PPR_ORDER = ("pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr "
             "suppressLineNumbers pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct "
             "topLinePunct autoSpaceDE autoSpaceDN bidi adjustRightInd snapToGrid spacing ind "
             "contextualSpacing mirrorIndents suppressOverlap jc textDirection textAlignment "
             "textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange").split()


def ppr_child(para, name: str, **attrs):
    """Add ``w:<name>`` to the paragraph's properties at its place in the schema's sequence."""
    ppr = para._p.get_or_add_pPr()
    element = OxmlElement("w:" + name)
    for key, value in attrs.items():
        element.set(qn("w:" + key), value)
    successors = ["w:" + tag for tag in PPR_ORDER[PPR_ORDER.index(name) + 1:]]
    ppr.insert_element_before(element, *successors)
    return element


def border(para, side: str, val: str, size_eighths: int, color: str = RED, space: int = 0):
    """A paragraph border (top/bottom): the red double lines and the 版记 rules."""
    ppr = para._p.get_or_add_pPr()
    pbdr = ppr.find(qn("w:pBdr"))
    if pbdr is None:
        pbdr = ppr_child(para, "pBdr")
    edge = OxmlElement("w:" + side)
    edge.set(qn("w:val"), val)
    edge.set(qn("w:sz"), str(size_eighths))
    edge.set(qn("w:space"), str(space))
    edge.set(qn("w:color"), color)
    pbdr.append(edge)
    return para


def colophon(doc, rows: list[tuple[str, str]], *, rules: bool) -> None:
    """版记 at the foot of the last page's type area (GB/T 9704 7.4).

    Each row is (left, right): a right part ("2026年12月3日印发") goes flush right on the same
    line. The rows are a table floated to the bottom of the type area, so the 版记 sits at the
    foot of whatever page the text ends on. With ``rules`` the first and last rules are thick
    (0.35 mm) and the middle ones thin (0.25 mm); the 信函格式 has none (10.1).
    """
    table = doc.add_table(rows=len(rows), cols=1)
    float_pr = OxmlElement("w:tblpPr")
    for key, value in (("leftFromText", "0"), ("rightFromText", "0"), ("topFromText", "0"),
                       ("bottomFromText", "0"), ("vertAnchor", "margin"),
                       ("horzAnchor", "margin"), ("tblpXSpec", "center"),
                       ("tblpYSpec", "bottom"), ("tblpY", "0")):
        float_pr.set(qn("w:" + key), value)
    table._tbl.tblPr.append(float_pr)
    # 151 of the 156 mm: LibreOffice (7.4, checked by hand) lays a floating table that is
    # nearly as wide as the type area inline, after the text, instead of at the foot
    _table_width(table, [Emu(COLOPHON_WIDTH)])
    _table_borders(table._tbl.tblPr, {"top": 8, "bottom": 8, "insideH": 6} if rules else {})
    for row, (left, right) in zip(table.rows, rows):
        para = row.cells[0].paragraphs[0]
        ppr_child(para, "snapToGrid", val="0")
        fmt = para.paragraph_format
        _line(fmt, LINE_PT * 1.1, 0, 0)
        side = FOOTER_PT if not right or _fits(left, right, FOOTER_PT, 2) else 0
        fmt.right_indent = Pt(side)   # 左空一字, 右空一字 (none if the line would not fit)
        label = left.find("：") + 1 if not right else 0   # 回行时与冒号后的首字对齐
        fmt.left_indent = Pt(side + FOOTER_PT * label)
        fmt.first_line_indent = Pt(-FOOTER_PT * label)
        if right:
            fmt.tab_stops.add_tab_stop(COLOPHON_WIDTH - Pt(side), WD_TAB_ALIGNMENT.RIGHT)
        add_run(para, left + ("\t" + right if right else ""), size=FOOTER_PT)
    order_tbl_pr(table)
    paragraph(doc, line=1, snap=False)  # a body ends with a paragraph; this one takes no room


def text_width(text: str) -> float:
    """Printed width in characters: ASCII (digits, Latin) is half a character."""
    return sum(0.5 if ord(ch) < 0x2000 else 1 for ch in text)


def _fits(left: str, right: str, size: float, indents: float, room=COLOPHON_WIDTH) -> bool:
    """Do ``left`` and ``right`` fit one line at ``size`` pt with ``indents`` characters of
    indent and at least one character between them?"""
    pitch = size + CHAR_SPACING_TWIPS / 20
    return (text_width(left) + text_width(right) + 1) * pitch + indents * size <= Emu(room).pt


TBL_PR_ORDER = ["tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize",
                "tblStyleColBandSize", "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders",
                "shd", "tblLayout", "tblCellMar", "tblLook"]


def order_tbl_pr(table) -> None:
    """Put w:tblPr's children in the schema's order (Word refuses them out of order)."""
    tbl_pr = table._tbl.tblPr
    rank = {qn("w:" + name): index for index, name in enumerate(TBL_PR_ORDER)}
    children = sorted(tbl_pr, key=lambda child: rank.get(child.tag, len(rank)))
    for child in children:
        tbl_pr.append(child)


def _table_width(table, widths) -> None:
    table.autofit = False  # w:tblLayout fixed
    tbl_pr = table._tbl.tblPr
    tbl_w = tbl_pr.find(qn("w:tblW"))
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(round(sum(widths) / 635)))
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        edge = OxmlElement("w:" + side)
        edge.set(qn("w:w"), "0")
        edge.set(qn("w:type"), "dxa")
        margins.append(edge)
    tbl_pr.append(margins)
    for column, width in zip(table.columns, widths):
        column.width = width
        for cell in column.cells:
            cell.width = width


def _table_borders(tbl_pr, sizes: dict, color: str = "000000") -> None:
    """Black table borders: ``sizes`` maps top/bottom/left/right/insideH/insideV to eighths."""
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        edge = OxmlElement("w:" + side)
        size = sizes.get(side)
        edge.set(qn("w:val"), "single" if size else "nil")
        if size:
            edge.set(qn("w:sz"), str(size))
            edge.set(qn("w:space"), "0")
            edge.set(qn("w:color"), color)
        borders.append(edge)
    old = tbl_pr.find(qn("w:tblBorders"))
    if old is not None:
        tbl_pr.remove(old)
    tbl_pr.append(borders)


def page_break(doc) -> None:
    add_run(doc.add_paragraph(), "").add_break(WD_BREAK.PAGE)


def page_number(footer, align) -> None:
    """"— N —" in 4号宋体, one character in from the outer edge (GB/T 9704 7.5)."""
    para = footer.paragraphs[0]
    ppr_child(para, "snapToGrid", val="0")
    fmt = para.paragraph_format
    _line(fmt, FOOTER_PT * 1.2, 0, 14)
    fmt.alignment = align
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        fmt.right_indent = Pt(FOOTER_PT)
    else:
        fmt.left_indent = Pt(FOOTER_PT)
    song = fonts()["song"]
    add_run(para, "— ", font=song, size=FOOTER_PT)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"),
                       ("end", None)):
        run = add_run(para, "", font=song, size=FOOTER_PT)
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            run.text = text
    add_run(para, " —", font=song, size=FOOTER_PT)


def page_numbers(doc, *, skip_first: bool) -> None:
    """Odd pages right, even pages left; the 信函 first page shows none."""
    doc.settings.odd_and_even_pages_header_footer = True
    section = doc.sections[0]
    section.different_first_page_header_footer = skip_first
    page_number(section.footer, WD_ALIGN_PARAGRAPH.RIGHT)
    page_number(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)


def save(doc, when: date) -> bytes:
    """The .docx bytes, with every zip entry dated ``when`` so equal data gives equal bytes."""
    raw = io.BytesIO()
    doc.save(raw)
    stamp = (max(when.year, 1980), when.month, when.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            dst.writestr(info, src.read(item.filename))
    return out.getvalue()
