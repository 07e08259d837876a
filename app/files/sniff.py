"""What a file really is, from its bytes (magic numbers), never from its name or the browser.

``kinds(path)`` answers the set of extensions the content may honestly carry: a PDF only
``pdf``; a Word 2007+ document ``docx`` (or ``zip``, which it also is); an OLE2 compound file
``doc`` or ``xls``. An executable renamed ``.pdf`` answers the empty set.
"""
import zipfile

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ofd": "application/ofd",  # GB/T 33190 版式文档 (a zip with OFD.xml)
    "zip": "application/zip",
}
LABELS = {"pdf": "PDF", "jpg": "JPG", "jpeg": "JPG", "png": "PNG", "doc": "Word(doc)", "xls": "Excel(xls)",
          "docx": "Word(docx)", "xlsx": "Excel(xlsx)", "ofd": "OFD", "zip": "ZIP"}

_MAGIC = (
    (b"%PDF-", {"pdf"}),
    (b"\xff\xd8\xff", {"jpg", "jpeg"}),
    (b"\x89PNG\r\n\x1a\n", {"png"}),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", {"doc", "xls"}),  # OLE2 compound file (Office 97–2003)
)
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
MACRO = "macro"  # an Office document carrying VBA: refused whatever its name


def kinds(path):
    """Extensions the content of ``path`` may carry; {MACRO} for macro-enabled Office files."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    for magic, exts in _MAGIC:
        if head.startswith(magic):
            return set(exts)
    if head.startswith(_ZIP):
        return _zip_kinds(path)
    return set()


def _zip_kinds(path):
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())  # the central directory only; nothing is unpacked
    except (zipfile.BadZipFile, OSError, ValueError):
        return set()
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        return {MACRO}
    if "[Content_Types].xml" in names and "word/document.xml" in names:
        return {"docx", "zip"}
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return {"xlsx", "zip"}
    if "OFD.xml" in names:
        return {"ofd", "zip"}
    return {"zip"}
