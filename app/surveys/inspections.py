"""督查记录: the office's phone checks and visits about an officer or a unit (seed 六(四), 七(二)) —
method, date, enterprise, four ratings 1–5 (效率/质量/水平/效果), findings; they feed the assessments'
inspection item (app.surveys.metrics.inspection)."""
from sqlalchemy import select

from .. import clock, scope
from ..extensions import db
from ..models import Department, Enterprise, Officer
from ..validation import InvalidValue, clean_date, text_problem, valid_id
from ..vocab import INSPECTION_METHODS, INSPECTION_RATINGS, OFFICE_ROLES, SURVEY_TARGETS
from ..workflow import WorkflowError
from . import access  # noqa: F401
from .models import Inspection


def _get(model, value, field, label):
    row = db.session.get(model, int(value)) if valid_id(value) else None
    if row is None:
        raise WorkflowError(422, f"所选{label}不存在。", field)
    return row


def record(user, values):
    """Validate and add one inspection; the recorder is never the officer inspected."""
    if not scope.role_names(user) & OFFICE_ROLES:
        raise WorkflowError(403, "只有首席服务官办公室可以登记督查记录。")
    subject_type = values.get("subject_type")
    if subject_type not in SURVEY_TARGETS:
        raise WorkflowError(422, "督查对象应为首席服务官或责任单位。", "subject_type")
    row = Inspection(subject_type=subject_type, recorded_by_id=user.id, created_at=clock.utcnow())
    if subject_type == "officer":
        officer = _get(Officer, values.get("officer"), "officer", "首席服务官")
        mine = scope.officer_of(user)
        if mine is not None and mine.id == officer.id:
            raise WorkflowError(403, "不能登记对自己的督查。", "officer")
        row.officer_id = officer.id
    else:
        row.department_id = _get(Department, values.get("department"), "department", "责任单位").id
    method = values.get("method")
    if method not in INSPECTION_METHODS:
        raise WorkflowError(422, "督查方式应为：" + "、".join(INSPECTION_METHODS.values()) + "。", "method")
    row.method = method
    if values.get("day") in (None, ""):
        raise WorkflowError(422, "请填写督查日期。", "day")
    try:
        row.day = clean_date(values.get("day"))
    except InvalidValue as exc:
        raise WorkflowError(422, f"督查日期：{exc}", "day") from None
    if row.day > clock.today():
        raise WorkflowError(422, "督查日期不能晚于今天。", "day")
    if values.get("enterprise") not in (None, ""):
        row.enterprise_id = _get(Enterprise, values.get("enterprise"), "enterprise", "企业").id
    for field, label in INSPECTION_RATINGS.items():
        try:
            value = int(str(values.get(field, "")).strip())
        except ValueError:
            value = None
        if value not in (1, 2, 3, 4, 5):
            raise WorkflowError(422, f"“{label}”评分应为1至5分。", field)
        setattr(row, field, value)
    findings = str(values.get("findings") or "").strip()
    if not findings or len(findings) > 2000:
        raise WorkflowError(422, "请填写督查发现（不超过2000字）。", "findings")
    problem = text_problem(findings, 2000, multiline=True)
    if problem:
        raise WorkflowError(422, f"督查发现：{problem}", "findings")
    row.findings = findings
    row.refer_to_supervision = str(values.get("refer_to_supervision") or "").lower() in ("1", "true", "on", "y", "yes")
    db.session.add(row)
    db.session.flush()
    return row


def listing(user, args=None):
    query = scope.restrict(Inspection, select(Inspection), user).order_by(Inspection.day.desc(), Inspection.id.desc())
    return db.session.scalars(query.limit(500)).all()


def as_json(row):
    return {"id": row.id, "subject_type": row.subject_type, "subject_id": row.subject_id, "subject": row.subject_name,
            "method": row.method, "method_label": row.method_label, "day": row.day.isoformat(),
            "enterprise_id": row.enterprise_id, "enterprise": row.enterprise.name if row.enterprise else None,
            **{f: getattr(row, f) for f in INSPECTION_RATINGS}, "score": round(20 * row.mean, 1),
            "findings": row.findings, "refer_to_supervision": row.refer_to_supervision}
