"""The one-time credentials sheet: the new logins of an import with their initial passwords
(.xlsx, or .csv from the CLI), written with owner-only permissions when it goes to a file."""
import csv
import io
import os

CREDENTIAL_COLUMNS = [("name", "姓名"), ("unit", "工作单位"), ("title", "职务"), ("phone", "联系电话"),
                      ("username", "登录账号"), ("password", "初始密码")]


def credentials_xlsx(credentials):
    """The new logins as an .xlsx sheet (in memory), through the one safe cell writer."""
    from ..exports.workbook import open_workbook, text_formats, write_text

    buffer = io.BytesIO()
    book = open_workbook(buffer, streaming=False, title="新开通账号")
    sheet = book.add_worksheet("新开通账号")
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    text, quoted = text_formats(book, {"num_format": "@", "border": 1})
    sheet.merge_range(0, 0, 0, len(CREDENTIAL_COLUMNS) - 1,
                      "服务官登录账号（初始密码仅此一次提供，首次登录须修改密码）", book.add_format({"bold": True}))
    for c, (_, label) in enumerate(CREDENTIAL_COLUMNS):
        sheet.write_string(1, c, label, bold)
    for r, cred in enumerate(credentials, start=2):
        for c, (key, _) in enumerate(CREDENTIAL_COLUMNS):
            write_text(sheet, r, c, str(cred.get(key) or ""), text, quoted)
    sheet.set_column(0, 0, 10)
    sheet.set_column(1, 3, 18)
    sheet.set_column(4, 5, 20)
    book.close()
    return buffer.getvalue()


def write_credentials(path, credentials):
    """Write the sheet to ``path`` (.csv in UTF-8 with BOM, else .xlsx), readable by the owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    if path.lower().endswith(".csv"):
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([label for _, label in CREDENTIAL_COLUMNS])
            for cred in credentials:
                writer.writerow([cred.get(key, "") for key, _ in CREDENTIAL_COLUMNS])
    else:
        with os.fdopen(fd, "wb") as fh:
            fh.write(credentials_xlsx(credentials))
