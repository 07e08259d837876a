"""Assessment schemes: the office's own, versioned (draft → active → retired), immutable once active;
item validation (Chinese messages), the 100-point rule, the default schemes (research C.3) and the
preview of a draft against last quarter's records."""
import math

from sqlalchemy import func, select

from .. import clock, scope, stats
from ..extensions import db
from ..validation import valid_id
from ..vocab import (
    ASSESSMENT_DIMENSIONS, ASSESSMENT_EXTRA_DIMENSIONS, ASSESSMENT_PERIODS, ASSESSMENT_RULES, ASSESSMENT_SUBJECTS,
    OFFICE_ROLES, labelled,
)
from ..workflow import WorkflowError
from . import metrics
from .models import AssessmentCycle, AssessmentItem, AssessmentScheme

AssessmentError = WorkflowError  # (status, message, field): 403/404/409/422 like every document


def may_edit(user):
    return user is None or bool(scope.role_names(user) & OFFICE_ROLES)


def _office(user):
    if not may_edit(user):
        raise AssessmentError(403, "只有首席服务官办公室可以维护考核方案。")


def load(user, pk):
    scheme = db.session.get(AssessmentScheme, int(pk)) if valid_id(pk) else None
    if scheme is None or (user is not None and not scope.visible(AssessmentScheme, scheme.id, user)):
        raise AssessmentError(404, "考核方案不存在或不在您的查看范围内。")
    return scheme


def in_use(scheme):
    return bool(db.session.scalar(select(func.count()).select_from(AssessmentCycle).where(
        AssessmentCycle.scheme_id == scheme.id)))


def _number(value, label, field, low=None, high=None):
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        raise AssessmentError(422, f"{label}应为数字。", field) from None
    if not math.isfinite(number) or (low is not None and number < low) or (high is not None and number > high):
        raise AssessmentError(422, f"{label}应在{low}到{high}之间。", field)
    return number


def text_key(value):
    """A choice key as given (text), or None for anything else (lists, objects, numbers)."""
    return value if isinstance(value, str) else None


def clean_item(subject, data):
    """Validated item fields from a form or JSON ({dimension, name, max_points, rule, metric, params})."""
    if not isinstance(data, dict):
        raise AssessmentError(422, "考核项格式不正确。", "items")
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 100:
        raise AssessmentError(422, "请填写考核项名称（不超过100字）。", "name")
    dimension = text_key(data.get("dimension"))
    if dimension not in ASSESSMENT_DIMENSIONS:
        raise AssessmentError(422, f"考核维度应为：{'、'.join(ASSESSMENT_DIMENSIONS)}。", "dimension")
    rule = text_key(data.get("rule"))
    if rule not in ASSESSMENT_RULES:
        raise AssessmentError(422, f"计分规则应为：{labelled(ASSESSMENT_RULES)}。", "rule")
    metric = text_key(data.get("metric")) or None
    allowed = metrics.choices(subject)
    if metric not in allowed:
        raise AssessmentError(422, f"指标应为：{labelled({k: m.label for k, m in allowed.items()})}。", "metric")
    max_points = _number(data.get("max_points"), "分值", "max_points", 0, 100)
    if rule == "veto":
        max_points = 0.0
    elif max_points <= 0:
        raise AssessmentError(422, "分值应大于0。", "max_points")
    if dimension in ASSESSMENT_EXTRA_DIMENSIONS and rule not in ("per_event", "manual"):
        raise AssessmentError(422, "加分、扣分项只能按次计分或由督查人员评分。", "rule")
    params = data.get("params") or {}
    if isinstance(params, str):
        import json

        try:
            params = json.loads(params) if params.strip() else {}
        except ValueError:
            raise AssessmentError(422, "规则参数应为JSON对象，例如 {\"floor\": 60, \"target\": 95}。", "params") from None
    if not isinstance(params, dict):
        raise AssessmentError(422, "规则参数应为JSON对象。", "params")
    params = _clean_params(rule, params, max_points)
    return {"name": name, "dimension": dimension, "rule": rule, "metric": metric, "max_points": max_points,
            "params": params}


def _clean_params(rule, params, max_points):
    if rule == "ratio_linear":
        floor = _number(params.get("floor"), "下限（floor）", "params")
        target = _number(params.get("target"), "目标（target）", "params")
        if target <= floor:
            raise AssessmentError(422, "比例折算的目标值应大于下限值。", "params")
        return {"floor": floor, "target": target}
    if rule == "threshold_band":
        bands = params.get("bands")
        if not isinstance(bands, list) or not bands or not all(isinstance(b, list) and len(b) == 2 for b in bands):
            raise AssessmentError(422, "分档计分需要档位 bands，例如 [[95, 20], [85, 10]]（达到值, 得分）。", "params")
        out = [[_number(a, "档位值", "params"), _number(p, "档位得分", "params", 0, max_points)] for a, p in bands]
        return {"bands": sorted(out, key=lambda b: -b[0])}
    if rule == "per_event":
        if params.get("weights"):
            weights = params["weights"]
            if not isinstance(weights, dict):
                raise AssessmentError(422, "按类别计分 weights 应为对象，例如 {\"late_report\": -1}。", "params")
            return {"weights": {str(k): _number(v, "每次分值", "params", -100, 100) for k, v in weights.items()}}
        return {"per": _number(params.get("per"), "每次分值（per）", "params", -100, 100)}
    if rule == "rank_points":
        return {"first": _number(params.get("first", max_points), "第一名得分（first）", "params", 0, max_points),
                "step": _number(params.get("step", 1), "名次递减分（step）", "params", 0, 100)}
    return {}


def ordinary_total(scheme):
    return round(sum(float(i.max_points) for i in scheme.items
                     if i.dimension not in ASSESSMENT_EXTRA_DIMENSIONS and i.rule != "veto"), 2)


def weight_problem(scheme):
    total = ordinary_total(scheme)
    if abs(total - 100) > 1e-6:
        return f"普通考核项（不含加分、扣分和一票否决）的分值合计应为100分，当前为{total:g}分。"
    return None


def _editable(scheme):
    if scheme.status != "draft" or in_use(scheme):
        raise AssessmentError(409, "方案已启用或已被考核周期使用，不能修改；请复制为新版本后修改。")


def create(user, name, subject, period_kind="quarter", source_note=None, items=()):
    _office(user)
    name = str(name or "").strip()
    if not name or len(name) > 100:
        raise AssessmentError(422, "请填写方案名称（不超过100字）。", "name")
    subject, period_kind = text_key(subject), text_key(period_kind)
    if subject not in ASSESSMENT_SUBJECTS:
        raise AssessmentError(422, f"考核对象应为：{labelled(ASSESSMENT_SUBJECTS)}。", "subject")
    if period_kind not in ASSESSMENT_PERIODS:
        raise AssessmentError(422, f"考核周期应为：{labelled(ASSESSMENT_PERIODS)}。", "period_kind")
    if items is not None and not isinstance(items, (list, tuple)):
        raise AssessmentError(422, "考核项应为列表。", "items")
    version = (db.session.scalar(select(func.max(AssessmentScheme.version)).where(
        AssessmentScheme.subject == subject, AssessmentScheme.period_kind == period_kind)) or 0) + 1
    scheme = AssessmentScheme(name=name, subject=subject, period_kind=period_kind, version=version, status="draft",
                              source_note=(str(source_note).strip()[:300] or None) if source_note else None,
                              created_by_id=getattr(user, "id", None), created_at=clock.utcnow())
    for n, data in enumerate(items or (), start=1):
        scheme.items.append(AssessmentItem(sort=n, **clean_item(subject, data)))
    db.session.add(scheme)
    db.session.flush()
    return scheme


def update(user, pk, name=None, source_note=None, items=None):
    _office(user)
    scheme = load(user, pk)
    _editable(scheme)
    if name is not None:
        name = str(name).strip()
        if not name or len(name) > 100:
            raise AssessmentError(422, "请填写方案名称（不超过100字）。", "name")
        scheme.name = name
    if source_note is not None:
        scheme.source_note = str(source_note).strip()[:300] or None
    if items is not None:
        if not isinstance(items, list):
            raise AssessmentError(422, "考核项应为列表。", "items")
        cleaned = [clean_item(scheme.subject, d) for d in items]
        scheme.items.clear()
        db.session.flush()
        for n, data in enumerate(cleaned, start=1):
            scheme.items.append(AssessmentItem(sort=n, **data))
    db.session.flush()
    return scheme


def save_item(user, pk, data, item_id=None):
    _office(user)
    scheme = load(user, pk)
    _editable(scheme)
    cleaned = clean_item(scheme.subject, data)
    if item_id is None:
        item = AssessmentItem(sort=max([i.sort for i in scheme.items] or [0]) + 1, **cleaned)
        scheme.items.append(item)
    else:
        item = next((i for i in scheme.items if i.id == item_id), None)
        if item is None:
            raise AssessmentError(404, "考核项不存在。")
        for k, v in cleaned.items():
            setattr(item, k, v)
    db.session.flush()
    return item


def delete_item(user, pk, item_id):
    _office(user)
    scheme = load(user, pk)
    _editable(scheme)
    item = next((i for i in scheme.items if i.id == item_id), None)
    if item is None:
        raise AssessmentError(404, "考核项不存在。")
    scheme.items.remove(item)
    db.session.flush()


def delete(user, pk):
    _office(user)
    scheme = load(user, pk)
    _editable(scheme)
    db.session.delete(scheme)
    db.session.flush()


def activate(user, pk):
    """draft → active (the 100-point rule checked); the active scheme of the same subject and period
    kind is retired."""
    _office(user)
    scheme = load(user, pk)
    if scheme.status != "draft":
        raise AssessmentError(409, f"方案当前为“{scheme.status_label}”，只有草稿可以启用。")
    if not scheme.items:
        raise AssessmentError(422, "方案还没有考核项。", "items")
    problem = weight_problem(scheme)
    if problem:
        raise AssessmentError(422, problem, "items")
    now = clock.utcnow()
    for other in db.session.scalars(select(AssessmentScheme).where(
            AssessmentScheme.subject == scheme.subject, AssessmentScheme.period_kind == scheme.period_kind,
            AssessmentScheme.status == "active", AssessmentScheme.id != scheme.id)):
        other.status, other.retired_at = "retired", now
    scheme.status, scheme.activated_at = "active", now
    db.session.flush()
    return scheme


def retire(user, pk):
    _office(user)
    scheme = load(user, pk)
    if scheme.status != "active":
        raise AssessmentError(409, f"方案当前为“{scheme.status_label}”，只有已启用的方案可以停用。")
    scheme.status, scheme.retired_at = "retired", clock.utcnow()
    db.session.flush()
    return scheme


def copy(user, pk):
    """A new draft version with the same items (how an active scheme is changed)."""
    _office(user)
    scheme = load(user, pk)
    items = [{"name": i.name, "dimension": i.dimension, "rule": i.rule, "metric": i.metric,
              "max_points": i.max_points, "params": dict(i.params or {})} for i in scheme.items]
    return create(user, scheme.name, scheme.subject, scheme.period_kind, scheme.source_note, items)


def active(subject, period_kind="quarter"):
    return db.session.scalar(select(AssessmentScheme).where(
        AssessmentScheme.subject == subject, AssessmentScheme.period_kind == period_kind,
        AssessmentScheme.status == "active").order_by(AssessmentScheme.version.desc()))


def preview(user, pk, period=None):
    """The draft (or any scheme) scored against a period's records (default: last quarter), nothing saved."""
    from . import cycles

    scheme = load(user, pk)
    if not may_edit(user) and not scope.sees_all(user):
        raise AssessmentError(403, "无权预览考核方案。")
    today = clock.today()
    p = stats.parse_period(period) if period else stats.period(scheme.period_kind, today).previous()
    return p, cycles.rank(cycles.evaluate(scheme, scheme.subject, p, today))


# --- the default schemes (research C.3; to be replaced by the real 附件2 when the office has it) ----------

SOURCE = "默认方案（依据《首席服务官制度实施方案》六(四)、八(四)、八(六)、八(七)拟定，附件2正式文本到位后替换）"
REPORT_WEIGHTS = {"late_report": -1, "missing_report": -2, "urged_missing": -3}
SATISFACTION_BANDS = [[95, 20], [85, 10]]

DEFAULT_OFFICER = [
    {"dimension": "效果", "name": "决策部署及批办事项落实", "max_points": 10, "rule": "manual", "metric": "inspector"},
    {"dimension": "效率", "name": "走访服务（每周走访覆盖率）", "max_points": 15, "rule": "ratio_linear",
     "metric": "visit_coverage", "params": {"floor": 50, "target": 100}},
    {"dimension": "效率", "name": "问题按期办结", "max_points": 15, "rule": "ratio_linear", "metric": "on_time_rate",
     "params": {"floor": 60, "target": 95}},
    {"dimension": "效果", "name": "问题解决", "max_points": 15, "rule": "ratio_linear", "metric": "solution_rate",
     "params": {"floor": 70, "target": 97}},
    {"dimension": "满意度", "name": "企业满意度", "max_points": 20, "rule": "threshold_band", "metric": "satisfaction",
     "params": {"bands": SATISFACTION_BANDS}},
    {"dimension": "质量", "name": "台账与报告", "max_points": 10, "rule": "per_event", "metric": "report_lapses",
     "params": {"weights": REPORT_WEIGHTS}},
    {"dimension": "水平", "name": "惠企政策宣传", "max_points": 10, "rule": "ratio_linear", "metric": "policy_reach",
     "params": {"floor": 0, "target": 100}},
    {"dimension": "质量", "name": "督查评价", "max_points": 5, "rule": "ratio_linear", "metric": "inspection",
     "params": {"floor": 0, "target": 100}},
    {"dimension": "扣分", "name": "通报批评（每次扣3分）", "max_points": 10, "rule": "per_event", "metric": "criticisms",
     "params": {"per": -3}},
    {"dimension": "扣分", "name": "督办单（每次扣1分）", "max_points": 5, "rule": "per_event", "metric": "urges",
     "params": {"per": -1}},
    {"dimension": "纪律", "name": "违反八(六)纪律要求（一票否决）", "max_points": 0, "rule": "veto",
     "metric": "discipline_breach"},
]
DEFAULT_DEPARTMENT = [
    {"dimension": "效率", "name": "交办单按期办结", "max_points": 25, "rule": "ratio_linear", "metric": "notice_on_time",
     "params": {"floor": 60, "target": 100}},
    {"dimension": "效率", "name": "会商议定事项按期办理", "max_points": 15, "rule": "ratio_linear",
     "metric": "decision_on_time", "params": {"floor": 60, "target": 100}},
    {"dimension": "效率", "name": "13710首次反馈", "max_points": 10, "rule": "ratio_linear", "metric": "feedback_rate",
     "params": {"floor": 60, "target": 100}},
    {"dimension": "效果", "name": "13710按期办结", "max_points": 15, "rule": "ratio_linear", "metric": "on_time_rate",
     "params": {"floor": 60, "target": 95}},
    {"dimension": "满意度", "name": "企业满意度", "max_points": 20, "rule": "threshold_band", "metric": "satisfaction",
     "params": {"bands": SATISFACTION_BANDS}},
    {"dimension": "纪律", "name": "签收与配合（签收超时每次扣3分）", "max_points": 15, "rule": "per_event",
     "metric": "receipt_lapses", "params": {"per": -3}},
    {"dimension": "扣分", "name": "通报批评（每次扣3分）", "max_points": 10, "rule": "per_event", "metric": "criticisms",
     "params": {"per": -3}},
    {"dimension": "扣分", "name": "督办单（每次扣1分）", "max_points": 5, "rule": "per_event", "metric": "urges",
     "params": {"per": -1}},
]


def ensure_defaults(user=None):
    """The default officer and unit schemes, active, when none exists for the subject (idempotent)."""
    made = []
    for subject, items, name in (("officer", DEFAULT_OFFICER, "首席服务官季度考核方案"),
                                 ("department", DEFAULT_DEPARTMENT, "责任单位季度考核方案")):
        exists = db.session.scalar(select(AssessmentScheme.id).where(
            AssessmentScheme.subject == subject, AssessmentScheme.period_kind == "quarter").limit(1))
        if exists:
            continue
        scheme = create(user, name, subject, "quarter", SOURCE, items)
        activate(user, scheme.id)
        made.append(scheme)
    return made
