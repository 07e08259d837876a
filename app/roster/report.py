"""What one import reports: errors and warnings per row, the counts, the result the screens get.

The report (a plain dict, stored in :class:`~app.models.ImportLog` and answered by the API) has
the keys ``ok, dry_run, created, updated, ended, errors, warnings, incomplete``; ``errors`` and
``warnings`` are ``{"row", "column", "message"}`` with Excel's row numbers (``row`` None: the
file as a whole); ``incomplete`` lists the officers who will have no e-mail or no unit.
"""
import hashlib
import json
from dataclasses import dataclass, field

KIND = "assignments"  # ImportLog.kind of a roster import


class FileProblem(Exception):
    """The file as a whole cannot be imported; ``str(exc)`` is the Chinese message."""


class ApplyError(Exception):
    """Writing the plan was refused; ``str(exc)`` is the Chinese message."""


def empty_report(dry_run):
    return {
        "ok": False, "dry_run": bool(dry_run),
        "created": {"enterprise": 0, "officer": 0, "assignment": 0},
        "updated": {"enterprise": 0, "officer": 0, "assignment": 0},
        "ended": {"assignment": 0},
        "errors": [], "warnings": [], "incomplete": [],
    }


@dataclass
class ImportResult:
    """What the screens need beyond the report: the planned changes (for the preview) and the
    new logins with their initial passwords (only after a successful commit, shown once)."""

    report: dict
    changes: list = field(default_factory=list)  # [{"action", "kind", "row", "text"}]
    credentials: list = field(default_factory=list)  # [{"name", "unit", "title", "phone", "username", "password"}]
    log_id: int = None
    sheet: str = None
    file_error: bool = False  # the file itself was refused (unreadable, empty, too big, no header)
    rows: int = 0  # data rows of the file in the plan (what a background import counts)
    new_logins: int = 0  # new officers the plan opens a login for (their passwords come on commit)

    @property
    def ok(self):
        return self.report["ok"]


class Issues:
    """Errors and warnings of one import; ``key`` reports a problem once (e.g. once per merged cell)."""

    def __init__(self):
        self.errors, self.warnings = [], []
        self._seen = set()

    def error(self, row, column, message, key=None):
        if key is not None:
            if ("error",) + tuple(key) in self._seen:
                return
            self._seen.add(("error",) + tuple(key))
        self.errors.append({"row": row, "column": column or "", "message": message})

    def warn(self, row, column, message, key=None):
        if key is not None:
            if key in self._seen:
                return
            self._seen.add(key)
        self.warnings.append({"row": row, "column": column or "", "message": message})


def changes_digest(changes):
    """A fingerprint of the planned changes: the preview's and the commit's must agree."""
    text = json.dumps(changes or [], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def by_row(items):
    """File-wide items first, then by Excel row."""
    return sorted(items, key=lambda i: (i["row"] is not None, i["row"] or 0))


# --- presentation shared by the screen, the API and the CLI ---------------------------------------


def summary(report):
    """One Chinese sentence for a report."""
    verb = "预计" if report["dry_run"] else "已"
    c, u, e = report["created"], report["updated"], report["ended"]
    if not report["ok"]:
        return f"有{len(report['errors'])}处错误，未导入任何数据。"
    text = (f"{verb}新增企业{c['enterprise']}家、服务官{c['officer']}人、包联关系{c['assignment']}条；"
            f"更新企业{u['enterprise']}家、服务官{u['officer']}人；结束包联关系{e['assignment']}条。")
    if not any(c.values()) and not any(u.values()) and not e["assignment"]:
        text = "名册与系统一致，没有需要变更的数据。" if report["dry_run"] else "名册与系统一致，未做任何变更。"
    if report["warnings"]:
        text += f"提示{len(report['warnings'])}条。"
    return text


def failure_text(report, limit=3):
    """The reason of a refused commit in one line: the first errors and where the rest are."""
    errors = report.get("errors") or []
    parts = [(where(e) + "：" if where(e) else "") + e.get("message", "") for e in errors[:limit]]
    text = "未导入任何数据。" + "；".join(parts)
    if len(errors) > limit:
        text += f"；另有{len(errors) - limit}处错误，详见导入记录"
    return text + ("。" if not text.endswith("。") else "")


def where(item):
    """"第5行［联系电话］" for an error or warning."""
    parts = []
    if item.get("row"):
        parts.append(f"第{item['row']}行")
    if item.get("column"):
        parts.append(f"［{item['column']}］")
    return "".join(parts)


MISSING_LABELS = {"email": "电子邮箱", "unit": "工作单位"}


def incomplete_text(item):
    """"王甲（14701000001）：无电子邮箱、无工作单位" for one entry of ``report["incomplete"]``."""
    who = f"{item['name']}（{item['phone']}）" if item.get("phone") else item["name"]
    return who + "：" + "、".join("无" + MISSING_LABELS[m] for m in item["missing"])
