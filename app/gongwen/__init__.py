"""GB/T 9704-2012 official documents as .docx: plain data in, bytes out.

No database and no request: callers (交办通知单 in app/notices, 会商纪要 in app/meetings) build a
``Letter`` or ``Minutes`` from their rows and store the bytes (app/files ``attach_generated``).
The same data gives the same bytes. No image of any kind is written: the seal is applied by
hand on paper, and a 纪要 has none.
"""
import io

import docx
from docx.oxml.ns import qn

from .letter import letter_docx
from .minutes import minutes_docx
from .model import FormTable, Letter, Minutes, Section
from .parts import cn_date, cn_number, due_text

__all__ = ["DOCX_MIME", "FormTable", "Letter", "Minutes", "Section", "cn_date", "cn_number",
           "document_text", "due_text", "issuer_name", "letter_docx", "minutes_docx"]

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DEFAULT_ISSUER = "焦作市城乡一体化示范区企业首席服务官办公室"


def issuer_name() -> str:
    """The office's 发文机关标志 (setting CSO_ISSUER_NAME) for callers filling ``issuer``."""
    from flask import current_app, has_app_context
    if has_app_context():
        return current_app.config.get("CSO_ISSUER_NAME") or DEFAULT_ISSUER
    return DEFAULT_ISSUER


def document_text(data: bytes) -> str:
    """The visible text of a .docx, one line per paragraph, in reading order.

    First-page and page headers come first (the 信函 red mark lives there), then the body's
    paragraphs and tables in document order (a table row is its cells joined by a tab).
    Footers are left out: they hold only page numbers.
    """
    doc = docx.Document(io.BytesIO(data))
    lines: list[str] = []
    section = doc.sections[0]
    headers = [section.first_page_header] if section.different_first_page_header_footer else []
    headers.append(section.header)
    for header in headers:
        if not header.is_linked_to_previous:
            lines.extend(p.text for p in header.paragraphs if p.text.strip())
    for child in doc.element.body.iterchildren():
        if child.tag == qn("w:p"):
            lines.append(_text(child))
        elif child.tag == qn("w:tbl"):
            for row in child.iter(qn("w:tr")):
                cells = [_text_of_cell(tc) for tc in row.iterchildren(qn("w:tc"))]
                lines.append("\t".join(cells))
    return "\n".join(lines).strip("\n") + "\n"


def _text(p) -> str:
    parts = []
    for run in p.iter(qn("w:r")):
        for node in run.iterchildren(qn("w:t"), qn("w:tab")):
            parts.append("\t" if node.tag == qn("w:tab") else node.text or "")
    return "".join(parts)


def _text_of_cell(tc) -> str:
    return "\n".join(_text(p) for p in tc.iterchildren(qn("w:p")))
