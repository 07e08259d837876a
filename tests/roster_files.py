"""Builders of realistic, messy rosters (《首席服务官及具体分包人情况表》) for the import tests.

A roster is a list of :class:`Ent` rows; the builders write it the way offices do (DESIGN.md §5):
a merged title row, a 填报单位/日期 row, a two-row header (首席服务官 / 具体分包人 over
姓名/职务/联系电话), the chief's cells merged vertically over the enterprises they cover,
2-character names padded with an ideographic space ("王　伟"), several liaisons in one cell,
mobile numbers stored as numbers, a 合计 row and footnotes (注：/填表人).
"""
import csv
import io
from dataclasses import dataclass, field

import xlsxwriter

from app.validation import credit_check_char

TITLE = "城乡一体化示范区重点企业首席服务官及具体分包人情况表"
FILLED_BY = "填报单位：示范区首席服务官办公室　　　　　　填报日期：2026年3月2日"


def code(region, seed):
    """A valid unified social credit code (check character computed)."""
    body = f"9141{region:04d}MA{seed:07d}"
    return body + credit_check_char(body)


@dataclass
class Person:
    name: str
    title: str
    phone: str  # digits, or a landline 0391-xxxxxxx


@dataclass
class Ent:
    name: str
    code: str
    street: str
    chief: Person
    liaisons: list = field(default_factory=list)


def pad(name):
    """How 2-character names are typed to line up with 3-character ones."""
    return f"{name[0]}\u3000{name[1]}" if len(name) == 2 else name


def chief_runs(ents):
    """[(first index, last index)] of consecutive rows sharing a chief."""
    runs, start = [], 0
    for i in range(1, len(ents) + 1):
        if i == len(ents) or ents[i].chief != ents[start].chief:
            runs.append((start, i - 1))
            start = i
    return runs


def dashed(phone):
    return f"{phone[:3]}-{phone[3:7]}-{phone[7:]}" if len(phone) == 11 else phone


HEADER_TOP = ["序号", "企业名称", "统一社会信用代码", "所属街道", "首席服务官", None, None, "具体分包人", None, None, "备注"]
HEADER_SUB = [None, None, None, None, "姓名", "职务", "联系电话", "姓名", "职务", "联系电话", None]


def _liaison_cells(ent, index):
    names = "、".join(pad(p.name) for p in ent.liaisons)
    titles = "、".join(p.title for p in ent.liaisons) if len({p.title for p in ent.liaisons}) > 1 else \
        (ent.liaisons[0].title if ent.liaisons else "")
    phones = "、".join(dashed(p.phone) if index % 3 == 2 else p.phone for p in ent.liaisons)
    return names, titles, phones


def messy_xlsx(ents, *, sheet_name="包联情况", footnotes=True, subtotal=True, extra_sheet=False):
    """Bytes of an .xlsx roster with every mess listed in the module docstring.

    Data start at Excel row 5 (index 4): ent ``i`` is on Excel row ``5 + i``.
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    if extra_sheet:
        book.add_worksheet("说明").write(0, 0, "本工作簿第二页为名册。")
    sheet = book.add_worksheet(sheet_name)
    centre = book.add_format({"align": "center", "valign": "vcenter", "border": 1, "text_wrap": True})
    sheet.merge_range(0, 0, 0, 10, TITLE, book.add_format({"bold": True, "font_size": 16, "align": "center"}))
    sheet.write(1, 0, FILLED_BY)
    for col, label in enumerate(HEADER_TOP):
        if label in ("首席服务官", "具体分包人"):
            sheet.merge_range(2, col, 2, col + 2, label, centre)
        elif label is not None:
            sheet.merge_range(2, col, 3, col, label, centre)
    for col, label in enumerate(HEADER_SUB):
        if label:
            sheet.write(3, col, label, centre)
    first = 4
    for i, ent in enumerate(ents):
        r = first + i
        sheet.write_number(r, 0, i + 1, centre)
        sheet.write_string(r, 1, ent.name, centre)
        sheet.write_string(r, 2, ent.code or "", centre)
        names, titles, phones = _liaison_cells(ent, i)
        sheet.write_string(r, 7, names, centre)
        sheet.write_string(r, 8, titles, centre)
        sheet.write_string(r, 9, phones, centre)
    for start, end in chief_runs(ents):  # the chief covers several enterprises: merged cells
        chief = ents[start].chief
        phone = int(chief.phone) if chief.phone.isdigit() else chief.phone
        cells = [(4, pad(chief.name)), (5, chief.title), (6, phone)]
        for col, value in cells:
            if end > start:
                sheet.merge_range(first + start, col, first + end, col, value, centre)
            elif isinstance(value, int):
                sheet.write_number(first + start, col, value, centre)
            else:
                sheet.write(first + start, col, value, centre)
    # the street column is merged where consecutive rows share it
    start = 0
    for i in range(1, len(ents) + 1):
        if i == len(ents) or ents[i].street != ents[start].street:
            if i - 1 > start:
                sheet.merge_range(first + start, 3, first + i - 1, 3, ents[start].street, centre)
            else:
                sheet.write(first + start, 3, ents[start].street, centre)
            start = i
    r = first + len(ents)
    if subtotal:
        sheet.write(r, 0, "合　计")
        sheet.write(r, 1, f"共{len(ents)}家企业")
        r += 1
    if footnotes:
        sheet.merge_range(r + 1, 0, r + 1, 10, "注：1.首席服务官由县级干部担任；2.具体分包人每周至少走访一次。")
        sheet.write(r + 2, 0, "填表人：张三　　联系电话：0391-3563650")
    book.close()
    return buffer.getvalue()


def flat_rows(ents, *, one_row_header=True):
    """The same roster as plain rows (values repeated on every row, no merges)."""
    rows = [[TITLE], [FILLED_BY]]
    if one_row_header:
        rows.append(["序号", "企业名称", "统一社会信用代码", "所属街道", "首席服务官", "职务", "联系电话",
                     "具体分包人", "职务", "联系电话", "备注"])
    else:
        rows.append([v or "" for v in HEADER_TOP])
        rows.append([v or "" for v in HEADER_SUB])
    for i, ent in enumerate(ents):
        names, titles, phones = _liaison_cells(ent, i)
        rows.append([str(i + 1), ent.name, ent.code or "", ent.street, pad(ent.chief.name), ent.chief.title,
                     ent.chief.phone, names, titles, phones, ""])
    rows.append(["合计", f"共{len(ents)}家"])
    rows.append(["注：本表数据截至2026年3月。"])
    return rows


def csv_bytes(ents, encoding="gb18030", **kwargs):
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(flat_rows(ents, **kwargs))
    return text.getvalue().encode(encoding)


def xls_bytes(ents):
    """An .xls (BIFF8) roster: merged title, two-row header, chief cells merged vertically."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    sheet.write_merge(0, 0, 0, 10, TITLE)
    sheet.write(1, 0, FILLED_BY)
    for col, label in enumerate(HEADER_TOP):
        if label in ("首席服务官", "具体分包人"):
            sheet.write_merge(2, 2, col, col + 2, label)
        elif label is not None:
            sheet.write_merge(2, 3, col, col, label)
    for col, label in enumerate(HEADER_SUB):
        if label:
            sheet.write(3, col, label)
    first = 4
    for i, ent in enumerate(ents):
        r = first + i
        sheet.write(r, 0, i + 1)
        sheet.write(r, 1, ent.name)
        sheet.write(r, 2, ent.code or "")
        sheet.write(r, 3, ent.street)
        names, titles, phones = _liaison_cells(ent, i)
        sheet.write(r, 7, names)
        sheet.write(r, 8, titles)
        sheet.write(r, 9, phones)
    for start, end in chief_runs(ents):
        chief = ents[start].chief
        phone = int(chief.phone) if chief.phone.isdigit() else chief.phone
        for col, value in ((4, pad(chief.name)), (5, chief.title), (6, phone)):
            sheet.write_merge(first + start, first + end, col, col, value)
    r = first + len(ents)
    sheet.write(r, 0, "小计")
    sheet.write_merge(r + 1, r + 1, 0, 10, "备注：本表由首席服务官办公室汇总。")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def simple_xlsx(rows, merges=()):
    """An .xlsx of the given rows (lists of values) and merged ranges ((r0, c0, r1, c1), …)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    covered = {(r, c) for r0, c0, r1, c1 in merges for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
    for r0, c0, r1, c1 in merges:
        sheet.merge_range(r0, c0, r1, c1, rows[r0][c0] if c0 < len(rows[r0]) else "")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if (r, c) in covered or value in (None, ""):
                continue
            sheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


def phone(k, n):
    """A mobile number unique to test ``k`` (0–99)."""
    return f"147{k:02d}{n:06d}"


def sample(tag, k):
    """Six enterprises of test ``k`` (``tag``: one character making its names unique):
    chief 王<tag> (2 characters: padded) covers rows 1–3, 欧阳<tag>明 rows 4–5, 李<tag> row 6;
    liaison cells hold one or two people; one enterprise has no credit code."""
    wang = Person(f"王{tag}", "区发改委主任", phone(k, 1))
    ouyang = Person(f"欧阳{tag}明", "区工信局局长", phone(k, 2))
    li = Person(f"李{tag}", "区财政局局长", phone(k, 3))
    lia = [Person(f"{s}{tag}", t, phone(k, 10 + i)) for i, (s, t) in enumerate(
        [("赵", "科员"), ("孙", "副科长"), ("周", "科员"), ("吴", "科员"), ("郑", "科长"), ("冯", "科员")])]
    region = 900 + k
    return [
        Ent(f"焦作市{tag}一号测试精密机械有限公司", code(region, 1), "文苑街道", wang, [lia[0]]),
        Ent(f"焦作市{tag}二号测试新材料有限公司", code(region, 2), "文苑街道", wang, [lia[1], lia[2]]),
        Ent(f"焦作{tag}三号测试食品股份有限公司", "", "李万街道", wang, [lia[3]]),
        Ent(f"焦作市{tag}四号测试物流有限公司", code(region, 4), "李万街道", ouyang, [lia[0]]),
        Ent(f"焦作市{tag}五号测试电子科技有限公司", code(region, 5), "阳庙镇", ouyang, [lia[4]]),
        Ent(f"焦作市{tag}六号测试制药有限公司", code(region, 6), "阳庙镇", li, [lia[5], lia[1]]),
    ]
