"""Import of policies and their items from a spreadsheet (.xlsx/.xls/.ods/.csv through the roster's reader,
app/roster/read.py: python-calamine, GBK/UTF-8 CSV, the same cost bounds): one row per benefit item, the
policy's columns repeated (rows with the same 发文字号 — or title, without one — are one policy; an existing
policy with that 发文字号 gets the items added). Every row goes through the library's one write path
(app.policies.rules), so the rules are the screen's; any error names its Excel row (第N行) and nothing is
written (all or nothing)."""
from sqlalchemy import select

from ..extensions import db
from ..roster.read import cell_text, read_tables
from ..roster.report import FileProblem
from .models import Policy
from .rules import PolicyError, create_item, create_policy, department_by_name, may_add_item, may_keep

MAX_ROWS = 2000
COLUMNS = {  # field: (header synonyms, required)
    "title": (("政策标题", "政策名称", "政策文件"), True),
    "doc_number": (("发文字号", "文号"), False),
    "issuer": (("发文机关", "发文单位"), False),
    "level": (("政策层级", "层级", "级别"), True),
    "issued_on": (("成文日期",), False),
    "published_on": (("发布日期",), False),
    "effective_from": (("生效日期", "施行日期"), False),
    "effective_to": (("失效日期", "有效期至"), False),
    "summary": (("政策摘要", "摘要"), False),
    "interpretation": (("政策解读", "解读"), False),
    "name": (("事项名称", "惠企事项"), True),
    "benefit": (("支持内容", "支持标准", "政策内容"), True),
    "industries": (("适用行业", "行业"), False),
    "categories": (("企业类别",), False),
    "subdistricts": (("所属街道", "街道", "属地"), False),
    "sizes": (("企业规模", "规模"), False),
    "target_desc": (("其他条件", "申报条件", "惠及对象"), False),
    "cash_mode": (("兑现方式",), True),
    "window_open": (("申报开始", "申报开始日期"), False),
    "window_close": (("申报截止", "申报截止日期"), False),
    "cash_days": (("兑现时限", "兑现时限（工作日）", "兑现时限(工作日)"), False),
    "department": (("责任单位", "主管部门", "受理单位"), True),
    "contact": (("联系人",), False),
    "phone": (("联系电话", "咨询电话"), False),
}
POLICY_KEYS = ("title", "doc_number", "issuer", "level", "issued_on", "published_on", "effective_from",
               "effective_to", "summary", "interpretation")
ITEM_KEYS = ("name", "benefit", "industries", "categories", "subdistricts", "sizes", "target_desc", "cash_mode",
             "window_open", "window_close", "cash_days", "contact", "phone")
FOOTNOTES = ("注", "备注", "说明", "填表人", "填报说明")
TEMPLATE_HEADERS = ["政策标题", "发文字号", "发文机关", "政策层级", "成文日期", "生效日期", "失效日期", "政策摘要", "事项名称",
                    "支持内容", "适用行业", "企业类别", "所属街道", "企业规模", "其他条件", "兑现方式", "申报开始", "申报截止",
                    "兑现时限（工作日）", "责任单位", "联系人", "联系电话"]


class ImportError_(PolicyError):
    """The import was refused; ``errors`` lists every row's problem (第N行：…)."""

    def __init__(self, errors):
        super().__init__(422, "导入未执行（未写入任何数据）：" + "；".join(errors[:20])
                         + (f"；另有{len(errors) - 20}处错误" if len(errors) > 20 else "") + "。")
        self.errors = errors


def _norm(text):
    return "".join(str(text or "").split()).replace("*", "").replace("＊", "")


def _header(rows):
    """(row index, {field: column}) of the header row: the first of the first ten holding 事项名称."""
    for r, row in enumerate(rows[:10]):
        cells = [_norm(cell_text(c)) for c in row]
        if not any(c in COLUMNS["name"][0] for c in cells):
            continue
        found = {}
        for field, (names, _) in COLUMNS.items():
            for col, cell in enumerate(cells):
                if cell in names and field not in found:
                    found[field] = col
        missing = [names[0] for field, (names, required) in COLUMNS.items() if required and field not in found]
        if missing:
            raise ImportError_([f"第{r + 1}行（表头）缺少必填列：{'、'.join(missing)}"])
        return r, found
    raise ImportError_(["未找到表头：前10行中应有一行包含“事项名称”等列（可下载导入模板对照）"])


def _values(row, columns):
    out = {}
    for field, col in columns.items():
        text = cell_text(row[col]).strip() if col < len(row) else ""
        out[field] = text
    return out


def import_file(user, data, filename):
    """Import; returns {"policies": n new, "items": n}. Raises ImportError_ (422) with every row's error,
    FileProblem (as 422) for an unreadable file, 403 for a role that does not keep the library."""
    if not may_keep(user):
        raise PolicyError(403, "只有首席服务官办公室和责任单位可以导入政策。")
    try:
        tables = read_tables(data, filename, MAX_ROWS)
    except FileProblem as exc:
        raise PolicyError(422, str(exc), "file") from None
    rows = tables[0].rows if tables else []
    start, columns = _header(rows)
    errors, made_policies, made_items, by_key = [], 0, 0, {}
    savepoint = db.session.begin_nested()
    try:
        for r in range(start + 1, len(rows)):
            values = _values(rows[r], columns)
            if not any(values.values()):
                continue
            first = next(v for v in values.values() if v)
            if first.startswith(FOOTNOTES) and not values.get("name"):
                continue
            line = r + 1
            try:
                key = values.get("doc_number") or values.get("title")
                policy = by_key.get(key)
                if policy is None and values.get("doc_number"):
                    policy = db.session.scalar(select(Policy).where(Policy.doc_number == values["doc_number"]))
                    if policy is not None and not may_add_item(user, policy):
                        raise PolicyError(403, f"政策“{policy.title}”（{policy.doc_number}）已在库中，由其他单位维护")
                if policy is None:
                    policy = create_policy(user, {k: values.get(k) for k in POLICY_KEYS})
                    made_policies += 1
                by_key[key] = policy
                dept = values.get("department")
                dept_id = department_by_name(dept) if dept else None
                if dept and dept_id is None:
                    raise PolicyError(422, f"责任单位“{dept}”不存在（须与“责任单位”名录中的名称一致）", "department")
                create_item(user, policy.id, {**{k: values.get(k) for k in ITEM_KEYS}, "department": dept_id})
                made_items += 1
            except PolicyError as exc:
                errors.append(f"第{line}行：{exc.message.rstrip('。')}")
        if not made_items and not errors:
            errors.append("文件中没有可导入的事项行")
        if errors:
            raise ImportError_(errors)
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return {"policies": made_policies, "items": made_items}


def template_xlsx():
    """An empty import template (the header row and one example row)."""
    import io

    from ..exports.workbook import Styles, open_workbook, write_cell

    out = io.BytesIO()
    wb = open_workbook(out, streaming=False, title="惠企政策导入模板")
    ws = wb.add_worksheet("惠企政策")
    styles = Styles(wb)
    example = ["示范区支持先进制造业高质量发展的若干政策", "示范区管〔2026〕12号", "焦作市城乡一体化示范区管委会", "区",
               "2026-03-01", "2026-03-05", "2028-12-31", "支持技术改造", "技术改造设备补助", "按设备投资额10%补助", "装备制造、新材料",
               "规上工业", "", "中型、大型", "上年设备投资500万元以上", "申报审批", "2026-04-01", "2026-12-31", "20", "区工信局",
               "企业科", "0391-3560017"]
    for col, (head, value) in enumerate(zip(TEMPLATE_HEADERS, example)):
        ws.write_string(0, col, head, styles.header)
        write_cell(ws, 1, col, value, styles.text, styles.quoted)
        ws.set_column(col, col, 14)
    wb.close()
    return out.getvalue()
