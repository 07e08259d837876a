"""Finding the header of a roster: the first rows may hold a merged title and a 填报单位 row;
then one or two header rows (a group header such as 首席服务官 over 姓名/职务/联系电话). Labels
are compared after NFKC and whitespace removal against the synonyms offices use.
"""
import re
from dataclasses import dataclass

from ..exports.workbook import column_letter
from ..validation import nfkc
from .read import cell_text

HEADER_SCAN_ROWS = 15  # the header must start within the first rows

# --- header vocabulary, compared after NFKC and whitespace removal ---------------------------

ENTERPRISE_HEADERS = {
    "name": ["企业名称", "包联企业", "服务企业", "企业(项目)名称", "企业", "企业全称", "企业名称(全称)",
             "包联企业名称", "服务企业名称", "重点企业", "重点企业名称", "企业(单位)名称", "项目(企业)名称",
             "包联企业(项目)", "企业(项目)"],
    "credit_code": ["统一社会信用代码", "社会信用代码", "信用代码", "统一信用代码", "企业信用代码",
                    "统一社会信用代码(注册号)"],
    "subdistrict": ["所属街道", "乡镇", "属地", "所属乡镇", "街道", "所属街道(乡镇)", "所属乡镇(街道)",
                    "街道(乡镇)", "乡镇(街道)", "所在街道", "所在乡镇", "属地街道", "所属街镇", "街镇",
                    "所在地", "所属区域"],
    "industry": ["行业", "所属行业", "行业类别", "产业", "所属产业", "行业领域"],
    "category": ["企业类别", "企业类型", "类别"],
    "address": ["地址", "企业地址", "注册地址", "生产经营地址", "经营地址", "企业住所"],
    "legal_rep": ["法定代表人", "法人代表", "法人"],
    "contact": ["企业联系人", "联系人"],
    "phone": ["企业联系电话", "企业电话", "企业联系方式"],
}
ROLE_HEADERS = {
    "chief": ["首席服务官", "包联领导", "分包领导", "包抓领导", "联系领导", "包联县级领导", "县级包联领导",
              "首席服务官(包联领导)", "包联领导(首席服务官)"],
    "liaison": ["具体分包人", "分包人", "联络员", "服务专员", "驻企服务员", "具体分包人员", "分包联络员",
                "驻企联络员", "具体包联人", "具体联络员"],
}
SUB_HEADERS = {
    "name": ["姓名", "名字"],
    "title": ["职务", "职位", "职务职级", "单位及职务", "单位职务", "职务(职级)"],
    "unit": ["工作单位", "单位", "所在单位", "所在部门", "部门", "单位名称"],
    "phone": ["联系电话", "电话", "手机", "手机号", "手机号码", "联系方式", "电话号码", "办公电话", "移动电话"],
    "email": ["电子邮箱", "邮箱", "电子邮件", "邮箱地址", "E-mail", "Email", "e-mail", "email", "EMAIL", "E-MAIL"],
}
IGNORED_HEADERS = {"序号", "编号", "备注", "说明", "序"}

FIELD_LABELS = {
    "name": "企业名称", "credit_code": "统一社会信用代码", "subdistrict": "所属街道", "industry": "行业",
    "category": "企业类别", "address": "地址", "legal_rep": "法定代表人", "contact": "联系人",
    "phone": "联系电话",
}
OFFICER_FIELD_LABELS = {"title": "职务", "unit": "工作单位", "phone": "联系电话", "email": "电子邮箱"}
PLACEHOLDERS = {"", "无", "暂无", "待定", "空", "-", "--", "—", "——", "/", "\\", "null", "none", "nan", "n/a"}


def norm_label(text):
    text = nfkc(text) or ""
    text = re.sub(r"\s+", "", text).replace("*", "").replace("※", "")
    return text.rstrip(":")


def is_placeholder(text):
    """"无", "/", "——"…: an empty cell in disguise."""
    return norm_label(text).lower() in PLACEHOLDERS


def _lookup(mapping):
    return {norm_label(s): key for key, syns in mapping.items() for s in syns}


ENT_LOOKUP = _lookup(ENTERPRISE_HEADERS)
ROLE_LOOKUP = _lookup(ROLE_HEADERS)
SUB_LOOKUP = _lookup(SUB_HEADERS)
ROLE_PREFIXES = sorted(ROLE_LOOKUP, key=len, reverse=True)


def _candidates(label):
    key = norm_label(label)
    if not key:
        return []
    out = [key]
    bare = re.sub(r"\([^)]*\)", "", key)
    if bare and bare != key:
        out.append(bare)
    return out


def resolve_label(label):
    """("ent", field) | ("role", role, sub) | ("sub", sub) | ("ignore",) | None."""
    for key in _candidates(label):
        if key in ENT_LOOKUP:
            return ("ent", ENT_LOOKUP[key])
        if key in ROLE_LOOKUP:
            return ("role", ROLE_LOOKUP[key], "name")
        for prefix in ROLE_PREFIXES:
            if key.startswith(prefix):
                rest = key[len(prefix):].lstrip("的及")
                if rest in SUB_LOOKUP:
                    return ("role", ROLE_LOOKUP[prefix], SUB_LOOKUP[rest])
        if key in SUB_LOOKUP:
            return ("sub", SUB_LOOKUP[key])
        if key in IGNORED_HEADERS:
            return ("ignore",)
    return None


@dataclass
class Header:
    index: int  # 0-based row of the (first) header row
    height: int  # 1 or 2
    columns: dict  # field key ("ent.name", "chief.phone", …) → column index
    labels: dict  # column index → the header text as the file shows it

    @property
    def data_start(self):
        return self.index + self.height

    def label(self, key):
        col = self.columns.get(key)
        return self.labels.get(col, "") if col is not None else ""

    def has(self, key):
        return key in self.columns


def _two_row_spec(t, s, rt, rs, carry):
    """The meaning of one column under a two-row header: (spec, label, new carry)."""
    if t:
        carry = (rt, t) if rt and rt[0] == "role" else None
    elif rs and rs[0] == "sub" and carry is not None:
        rt, t = carry  # a group header written once over its sub-columns (CSV)
    if rs and rs[0] == "sub" and rt and rt[0] == "role":
        return ("role", rt[1], rs[1]), f"{t}/{s}", carry
    if rs and rs[0] in ("ent", "role"):
        return rs, s, carry
    if rt is not None and rt[0] != "ignore":
        return rt, t, carry
    if rs is not None:
        return rs, s, carry
    return rt, t, carry


def _specs(rows, index, two):
    top = rows[index]
    sub = rows[index + 1] if two else None
    width = max(len(top), len(sub) if sub is not None else 0)
    top_text = [cell_text(v).strip() for v in top] + [""] * (width - len(top))
    sub_text = ([cell_text(v).strip() for v in sub] + [""] * (width - len(sub))) if two else [""] * width
    specs, labels, carry = [], [], None
    for c in range(width):
        t, s = top_text[c], sub_text[c]
        rt = resolve_label(t) if t else None
        if two:
            spec, label, carry = _two_row_spec(t, s, rt, resolve_label(s) if s else None, carry)
        else:
            spec, label = rt, t
        specs.append(spec)
        labels.append(label)
    return specs, labels


def _build_header(rows, index, two):
    specs, labels = _specs(rows, index, two)
    columns, out_labels = {}, {}
    last_role = None
    for c, spec in enumerate(specs):
        if spec is None or spec[0] == "ignore":
            continue
        if spec[0] == "ent":
            key = "ent." + spec[1]
            last_role = None
        elif spec[0] == "role":
            key = f"{spec[1]}.{spec[2]}"
            last_role = spec[1]
        else:  # a bare 姓名/职务/联系电话: belongs to the officer column on its left
            sub_field = spec[1]
            if last_role:
                key = f"{last_role}.{sub_field}"
            elif sub_field == "phone":
                key = "ent.phone"
            else:
                continue
        if key not in columns:
            columns[key] = c
            out_labels[c] = labels[c]
    repeated = {label for label in out_labels.values() if list(out_labels.values()).count(label) > 1}
    for c, label in out_labels.items():
        if label in repeated:  # e.g. two columns both called 联系电话: name the Excel column too
            out_labels[c] = f"{label}（{column_letter(c)}列）"
    return Header(index=index, height=2 if two else 1, columns=columns, labels=out_labels)


def _valid(header):
    return "ent.name" in header.columns and ("chief.name" in header.columns or "liaison.name" in header.columns)


def find_header(rows):
    """The :class:`Header` of a table, or None when the first rows hold none."""
    for index in range(min(HEADER_SCAN_ROWS, len(rows))):
        top = [resolve_label(cell_text(v).strip()) for v in rows[index] if cell_text(v).strip()]
        if not any(spec and spec[0] in ("ent", "role") for spec in top):
            continue  # a title, 填报单位 or blank row: the header starts below
        one = _build_header(rows, index, False)
        two = _build_header(rows, index, True) if index + 1 < len(rows) else None
        if two is not None and _valid(two) and len(two.columns) > len(one.columns):
            return two
        if _valid(one):
            return one
        if two is not None and _valid(two):
            return two
    return None
