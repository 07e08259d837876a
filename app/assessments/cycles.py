"""Assessment cycles on the workflow kit: open → computed → frozen → reviewed → published → closed
(appeals closed), reopened by the director with a reason. Computing scores every subject of the
cycle with the scheme's items (one query per metric), keeps the evidence in the score lines (so a
frozen cycle never changes when ledgers are edited), then totals, grades, ranks, rank changes and bands.

``compute(cycle, progress=None)`` is the entry for background jobs: ``progress(done, total)`` is
called after each item."""
import math

from sqlalchemy import func, or_, select

from .. import clock, scope, stats, workdays
from ..extensions import db
from ..models import Assignment, Department, DepartmentUser, Officer
from ..vocab import (
    ASSESSMENT_CYCLE_PUBLISHED, ASSESSMENT_CYCLE_STATUSES, ASSESSMENT_EXTRA_DIMENSIONS, ASSESSMENT_SUBJECTS,
    DIRECTOR, OFFICE_ROLES, OFFICE_STAFF_ROLES, labelled,
)
from ..workflow import Workflow, action, table
from . import metrics, scoring, settings
from .models import (
    Assessment, AssessmentCycle, AssessmentCycleEvent, AssessmentScore, AssessmentVersion,
)
from .schemes import AssessmentError, active

PARAM_LABELS = {"reason": "理由", "assessment": "考核对象", "item": "考核项", "points": "得分", "comment": "督查意见",
                "note": "说明"}


# --- subjects ----------------------------------------------------------------------------------

def subjects(subject_type, p):
    """[(id, name)] of the cohort: officers with an assignment during the period (active), or every unit."""
    if subject_type == "officer":
        serving = select(Assignment.officer_id).where(
            Assignment.start_date <= p.end, or_(Assignment.end_date.is_(None), Assignment.end_date >= p.start))
        return db.session.execute(select(Officer.id, Officer.name).where(
            Officer.active.is_(True), Officer.id.in_(serving)).order_by(Officer.id)).all()
    return db.session.execute(select(Department.id, Department.name).order_by(Department.id)).all()


def subject_users(subject_type, subject_id):
    """The logins of an assessed officer or unit (who is told and who may appeal)."""
    if subject_type == "officer":
        uid = db.session.scalar(select(Officer.user_id).where(Officer.id == subject_id))
        return [uid] if uid else []
    return list(db.session.scalars(select(DepartmentUser.user_id).where(DepartmentUser.department_id == subject_id)))


# --- evaluation (no writes) ------------------------------------------------------------------------

def evaluate(scheme, subject_type, p, today, progress=None, cohort=None):
    """[{subject_id, name, lines: [{item, value, points, state, note}], score, vetoed}] for the cohort."""
    cohort = cohort if cohort is not None else subjects(subject_type, p)
    ids = [sid for sid, _ in cohort]
    results = {sid: {"subject_id": sid, "name": name, "lines": []} for sid, name in cohort}
    cache = {}
    items = list(scheme.items)
    for n, item in enumerate(items, start=1):
        if item.metric not in cache:
            cache[item.metric] = metrics.compute(item.metric, subject_type, ids, p, today)
        values = cache[item.metric]
        for sid, (points, state, note) in scoring.score_item(item, values).items():
            results[sid]["lines"].append({"item": item, "value": values[sid], "points": points, "state": state,
                                          "note": note})
        if progress:
            progress(n, len(items))
    out = list(results.values())
    for r in out:
        r["score"], r["vetoed"] = scoring.total([(ln["item"], ln["points"], ln["state"]) for ln in r["lines"]])
    return out


def rank(results, s=None):
    """Sorts by score (highest first), sets rank (ties share it), grade and band in place."""
    s = s or settings.get()
    results.sort(key=lambda r: (-(r["score"] or 0), r["name"]))
    prev, current, n = None, 0, len(results)
    for pos, r in enumerate(results, start=1):
        if r["score"] != prev:
            current, prev = pos, r["score"]
        r["rank"] = current
    green = math.ceil(n * s.top_band_percent / 100) if n else 0
    red = math.ceil(n * s.bottom_band_percent / 100) if n else 0
    for r in results:
        r["grade"] = settings.grade(r["score"], r["vetoed"], s)
        if r["grade"] == "不合格" or (red and r["rank"] > n - red):
            r["band"] = "red"
        elif green and r["rank"] <= green:
            r["band"] = "green"
        else:
            r["band"] = "yellow"
    return results


# --- persistence -----------------------------------------------------------------------------------

def period_of(cycle):
    return stats.parse_period(cycle.period)


def _score(cycle, progress=None):
    """(Re)compute every assessment of the cycle in place (its versions and appeals stay); the
    inspector's manual points and comments survive a recomputation."""
    existing = {a.subject_id: a for a in cycle.assessments}
    kept = {}
    for a in existing.values():
        for line in a.lines:
            if line.item.rule in ("manual", "veto") and line.manual_at is not None:
                kept[(a.subject_id, line.item_id)] = (line.points, line.state, line.raw, line.raw_text, line.note,
                                                      line.manual_by_id, line.manual_at)
    results = evaluate(cycle.scheme, cycle.subject, period_of(cycle), clock.today(), progress)
    seen = set()
    for r in results:
        sid = r["subject_id"]
        seen.add(sid)
        a = existing.get(sid)
        if a is None:
            a = Assessment(cycle=cycle, subject_type=cycle.subject, subject_id=sid)
            db.session.add(a)
        a.subject_name = r["name"][:100]
        a.lines.clear()
        db.session.flush()
        for n, ln in enumerate(r["lines"], start=1):
            v = ln["value"]
            line = AssessmentScore(item=ln["item"], sort=n, raw=v.raw, raw_text=(v.text or "")[:100], sample_n=v.n,
                                   points=ln["points"], state=ln["state"], note=(ln["note"] or "")[:500] or None,
                                   evidence=list(v.evidence))
            if (sid, ln["item"].id) in kept:
                (line.points, line.state, line.raw, line.raw_text, line.note, line.manual_by_id,
                 line.manual_at) = kept[(sid, ln["item"].id)]
            a.lines.append(line)
    for sid, a in existing.items():
        if sid not in seen:
            db.session.delete(a)
    db.session.flush()
    db.session.expire(cycle, ["assessments"])
    finish(cycle)


def previous_cycle(cycle):
    p = period_of(cycle).previous()
    return db.session.scalar(select(AssessmentCycle).where(
        AssessmentCycle.subject == cycle.subject, AssessmentCycle.period == p.key,
        AssessmentCycle.status.in_(ASSESSMENT_CYCLE_PUBLISHED)))


def finish(cycle):
    """Totals, grades, ranks, rank changes and bands from the stored lines."""
    rows = []
    for a in cycle.assessments:
        score, vetoed = scoring.total([(ln.item, ln.points, ln.state) for ln in a.lines])
        rows.append({"a": a, "score": score, "vetoed": vetoed, "name": a.subject_name})
    rank(rows)
    prev = previous_cycle(cycle)
    prev_ranks = {} if prev is None else dict(db.session.execute(select(Assessment.subject_id, Assessment.rank).where(
        Assessment.cycle_id == prev.id)).all())
    for r in rows:
        a = r["a"]
        a.score, a.vetoed, a.rank, a.grade, a.band = r["score"], r["vetoed"], r["rank"], r["grade"], r["band"]
        a.prev_rank = prev_ranks.get(a.subject_id)
        a.rank_change = (a.prev_rank - a.rank) if a.prev_rank is not None else None
    db.session.flush()


def snapshot(a, reason, appeal_id=None):
    """Keep this version of the assessment (1 at publication, then one per change)."""
    a.revision = (a.revision or 0) + 1
    db.session.add(AssessmentVersion(
        assessment_id=a.id, revision=a.revision, score=a.score, grade=a.grade, rank=a.rank, band=a.band,
        reason=reason[:500], appeal_id=appeal_id, at=clock.utcnow(),
        lines=[{"item_id": ln.item_id, "item": ln.item.name, "points": ln.points, "raw": ln.raw_text, "state": ln.state}
               for ln in a.lines]))


# --- the cycle's workflow -----------------------------------------------------------------------------

def role_kinds(user, cycle):
    if user is None:
        return {"office"}  # the CLI and background jobs
    roles = scope.role_names(user)
    kinds = set()
    if roles & OFFICE_ROLES:
        kinds.add("office")
    if DIRECTOR in roles or "Admin" in roles:
        kinds.add("director")
    return kinds


def _compute(step):
    progress = step.params.get("progress")
    _score(step.doc, progress if callable(progress) else None)
    step.set("computed_at", clock.utcnow())
    return step.params.get("note") or f"计算{len(step.doc.assessments)}个考核对象的得分"


def _freeze(step):
    step.set("frozen_at", clock.utcnow())
    return step.params.get("note") or "冻结得分与证据"


def _find(cycle, params):
    try:
        aid = int(params.get("assessment"))
    except (TypeError, ValueError):
        raise AssessmentError(422, "请选择考核对象。", "assessment") from None
    a = next((x for x in cycle.assessments if x.id == aid), None)
    if a is None:
        raise AssessmentError(422, "该考核对象不属于本考核周期。", "assessment")
    return a


def parse_points(text, item):
    """Points for a manual item (0…max) or a veto (1 = 成立, 0 = 不成立)."""
    try:
        value = float(str(text).strip())
    except (TypeError, ValueError):
        raise AssessmentError(422, "得分应为数字。", "points") from None
    if not math.isfinite(value):
        raise AssessmentError(422, "得分应为数字。", "points")
    if item.rule == "veto":
        if value not in (0, 1):
            raise AssessmentError(422, "一票否决项填1（成立）或0（不成立）。", "points")
        return value
    low, high = (-float(item.max_points), 0.0) if item.dimension == "扣分" else (0.0, float(item.max_points))
    if not low <= value <= high:
        raise AssessmentError(422, f"“{item.name}”的得分应在{low:g}到{high:g}之间。", "points")
    return round(value, 2)


def _set_score(step):
    a = _find(step.doc, step.params)
    try:
        item_id = int(step.params.get("item"))
    except (TypeError, ValueError):
        raise AssessmentError(422, "请选择考核项。", "item") from None
    line = next((ln for ln in a.lines if ln.item_id == item_id), None)
    if line is None or line.item.rule not in ("manual", "veto"):
        raise AssessmentError(422, "只能为督查评分项或一票否决项填写得分。", "item")
    value = parse_points(step.params.get("points"), line.item)
    if line.item.rule == "veto":
        line.points, line.state = 0.0, ("veto" if value else "ok")
        line.raw, line.raw_text = value, "成立" if value else "不成立"
    else:
        line.points, line.state, line.raw, line.raw_text = value, "ok", value, f"{value:g}分"
    line.note = (step.params.get("note") or "")[:500] or None
    line.manual_by_id, line.manual_at = getattr(step.user, "id", None), clock.utcnow()
    db.session.flush()
    finish(step.doc)
    return f"{a.subject_name}：{line.item.name} {line.raw_text}" + (f"（{line.note}）" if line.note else "")


def _comment(step):
    a = _find(step.doc, step.params)
    a.comment = step.params["comment"][:2000]
    return f"{a.subject_name}：{a.comment}"


def _pending(step):
    n = sum(1 for a in step.doc.assessments for ln in a.lines if ln.state == "pending")
    return f"尚有{n}项督查评分未填写，请先评分。" if n else None


def _review(step):
    finish(step.doc)
    step.set("reviewed_at", clock.utcnow())
    return step.params.get("note")


def _publish(step):
    from . import ladder

    cycle, today = step.doc, clock.today()
    step.set("published_at", clock.utcnow())
    step.set("appeal_due", workdays.add_workdays(today, settings.get().appeal_workdays))
    for a in cycle.assessments:
        snapshot(a, "公布")
    opened = ladder.open_cases(cycle)
    _tell_subjects(cycle)
    note = step.params.get("note") or ""
    return (note + "；" if note else "") + f"申诉截止{cycle.appeal_due:%Y-%m-%d}" + (f"；启动问责跟踪{len(opened)}件" if opened else "")


def _tell_subjects(cycle):
    from .. import notifications

    for a in cycle.assessments:
        notifications.notify(subject_users(a.subject_type, a.subject_id),
                             f"{period_of(cycle).label}考核结果已公布：{a.score:g}分，{a.grade}",
                             f"/assessments/sheet/{a.id}", kind="assessment", key=f"assessment:{a.id}:publish:{a.revision}")


def _window_over(step):
    if any(ap.status == "filed" for ap in _appeals(step.doc)):
        return "尚有待复核的申诉，处理完毕后方可结束申诉期。"
    if step.doc.appeal_due and clock.today() <= step.doc.appeal_due:
        return f"申诉期至{step.doc.appeal_due:%Y-%m-%d}止，期满后方可结束。"
    return None


def _appeals(cycle):
    from .models import Appeal

    return db.session.scalars(select(Appeal).join(Assessment).where(Assessment.cycle_id == cycle.id)).all()


def _close(step):
    step.set("closed_at", clock.utcnow())
    return step.params.get("note")


def _reopen(step):
    step.set("reopen_reason", step.params["reason"][:500])
    return step.params["reason"]


ACTIONS = table(
    action("compute", "计算得分", {"office"}, ("open", "computed", "reopened"), "computed", handler=_compute),
    action("freeze", "冻结", {"office"}, ("computed",), "frozen", handler=_freeze),
    action("score", "督查评分", {"office"}, ("frozen",), None, ("assessment", "item", "points"), handler=_set_score),
    action("comment", "督查意见", {"office"}, ("frozen",), None, ("assessment", "comment"), handler=_comment),
    action("review", "审核完成", {"office"}, ("frozen",), "reviewed", handler=_review, check=_pending),
    action("publish", "公布结果", {"office"}, ("reviewed",), "published", handler=_publish),
    action("close", "结束申诉期", {"office"}, ("published",), "closed", handler=_close, check=_window_over),
    action("reopen", "重新打开", {"director"}, ("frozen", "reviewed", "published", "closed"), "reopened", ("reason",),
           handler=_reopen, style="danger"),
)
EVENT_LABELS = {"create": "创建", **{n: a.label for n, a in ACTIONS.items()}}

WORKFLOW = Workflow(kind="assessment_cycle", model=AssessmentCycle, label="考核周期", actions=ACTIONS,
                    role_kinds=role_kinds, event_model=AssessmentCycleEvent, event_owner="cycle",
                    param_labels=PARAM_LABELS, raw_params=("progress",),
                    visible=lambda user, pk: user is None or scope.visible(AssessmentCycle, pk, user))


def load(user, pk):
    return WORKFLOW.load(user, pk)


def find(period_key, subject):
    return db.session.scalar(select(AssessmentCycle).where(AssessmentCycle.period == period_key,
                                                           AssessmentCycle.subject == subject))


def open_cycle(user, period, subject):
    """The cycle of (period, subject), created on the active scheme when there is none."""
    if user is not None and not scope.role_names(user) & OFFICE_ROLES:
        raise AssessmentError(403, "只有首席服务官办公室可以开启考核周期。")
    if not isinstance(subject, str) or subject not in ASSESSMENT_SUBJECTS:
        raise AssessmentError(422, f"考核对象应为：{labelled(ASSESSMENT_SUBJECTS)}。", "subject")
    try:
        p = stats.parse_period(period)
    except ValueError as exc:
        raise AssessmentError(422, str(exc), "period") from None
    if p.kind not in ("quarter", "year"):
        raise AssessmentError(422, "考核期间应为季度（如2026Q4）或年度（如2026）。", "period")
    if p.start > clock.today():
        raise AssessmentError(422, f"{p.label}尚未开始，不能考核。", "period")
    cycle = find(p.key, subject)
    if cycle is not None:
        return cycle
    scheme = active(subject, p.kind)
    if scheme is None:
        raise AssessmentError(409, f"尚无已启用的{ASSESSMENT_SUBJECTS[subject]}{'季度' if p.kind == 'quarter' else '年度'}考核方案。")
    cycle = AssessmentCycle(scheme=scheme, subject=subject, period=p.key, status="open", created_at=clock.utcnow())
    db.session.add(cycle)
    db.session.flush()
    WORKFLOW.record(cycle, user, "create", None, note=f"{p.label}，方案：{scheme.name}（第{scheme.version}版）")
    return cycle


def compute(cycle, progress=None, user=None):
    """Compute (or recompute) an open cycle — the entry point of background jobs and the CLI."""
    return WORKFLOW.apply(user, cycle.id, "compute", {"progress": progress} if progress else {}, None)


def allowed_actions(user, cycle):
    return WORKFLOW.allowed(user, cycle)


def history(cycle):
    return db.session.scalars(select(AssessmentCycleEvent).where(AssessmentCycleEvent.cycle_id == cycle.id)
                              .order_by(AssessmentCycleEvent.id)).all()


def cycle_query(user, args=None):
    args = args or {}
    query = scope.restrict(AssessmentCycle, select(AssessmentCycle), user)
    if args.get("subject"):
        query = query.where(AssessmentCycle.subject == args["subject"])
    if args.get("period"):
        query = query.where(AssessmentCycle.period == str(args["period"]).upper())
    if args.get("status"):
        query = query.where(AssessmentCycle.status == args["status"])
    return query.order_by(AssessmentCycle.period.desc(), AssessmentCycle.subject.desc())


def status_choices():
    return ASSESSMENT_CYCLE_STATUSES


def extra_dimension(item):
    return item.dimension in ASSESSMENT_EXTRA_DIMENSIONS


def office_user_ids():
    from ..models import User

    users = db.session.scalars(select(User).where(User.active.is_(True))).all()
    return [u.id for u in users if scope.role_names(u) & OFFICE_STAFF_ROLES]


def count_cycles(scheme_id):
    return db.session.scalar(select(func.count()).select_from(AssessmentCycle).where(AssessmentCycle.scheme_id == scheme_id))

