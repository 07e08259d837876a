"""The metric library of assessments: one function per metric key, each computing — for a period and a
set of subjects (officers or units), one query per metric, never one per subject — the raw value,
the sample size and the evidence (kind, id, label as it reads now) behind it.

Rates are ``app.stats`` rates (definitions, minimum sample); lapses come from ``app.duties``
(DutyRecord) and ``app.accountability`` (Lapse, Criticism, Urge); satisfaction and inspection from
``app.surveys.metrics``; policy promotion from ``app.policies.metrics`` when it exists. A source
that is not there scores "无数据" (the item is left out and the total rescaled, see scoring)."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import or_, select

from .. import clock, stats
from ..extensions import db
from ..models import DUTY_KINDS, Assignment, DutyRecord, Issue, Visit
from ..vocab import NOTICE_BEFORE_SENDING

NO_DATA = "无数据"


@dataclass
class Value:
    """What a metric says about one subject."""

    raw: float | None = None  # percent for rates, a count for events, a 0–100 score
    n: int | None = None  # sample size
    text: str = ""
    evidence: list = field(default_factory=list)  # [{"kind", "id", "label"}]
    sufficient: bool = True  # False: 样本不足
    no_data: bool = False  # the source does not exist or has nothing for the period
    counts: dict = field(default_factory=dict)  # events by kind (per_event with weights)


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    subjects: tuple  # ("officer",), ("department",) or both
    kind: str  # rate | events | score | manual
    definition: str
    fn: object = None


METRICS = {}


def metric(key, label, subjects, kind, definition):
    def wrap(fn):
        METRICS[key] = Metric(key, label, tuple(subjects), kind, definition, fn)
        return fn
    return wrap


def compute(key, subject_type, ids, period: stats.Period, today: date):
    """{subject id: Value} for every id (a missing one gets an empty Value)."""
    m = METRICS.get(key)
    ids = list(ids)
    if m is None or m.fn is None:
        return {i: Value(no_data=True, text=NO_DATA) for i in ids}
    out = m.fn(subject_type, ids, period, today) if ids else {}
    return {i: out.get(i) or Value(no_data=True, text=NO_DATA) for i in ids}


def choices(subject):
    return {k: m for k, m in METRICS.items() if subject in m.subjects}


# --- helpers -----------------------------------------------------------------------------------

def _ev(kind, id_, label):
    return {"kind": kind, "id": id_, "label": (label or "")[:80]}


def _issue_label(number, title, extra=""):
    return f"{number} {title}{extra}"


def _rate_value(r: stats.Rate, evidence):
    return Value(raw=r.percent, n=r.denominator, text=f"{r.text}（{r.numerator}/{r.denominator}）",
                 evidence=evidence, sufficient=r.sufficient)


def _upto(period, today):
    """The last day of the period that has passed (the period's end, or yesterday)."""
    return min(period.end, today - timedelta(days=1))


# --- officers ----------------------------------------------------------------------------------

@metric("on_time_rate", "问题按期办结率", ("officer", "department"), "rate", stats.RATES["on_time"].definition
        + "服务官：其跟踪的问题；责任单位：其牵头的问题。")
def on_time_rate(subject_type, ids, p, today):
    column = Issue.officer_id if subject_type == "officer" else Issue.lead_department_id
    rows = db.session.execute(select(column, Issue.id, Issue.number, Issue.title, Issue.resolved_at, Issue.resolve_due)
                              .where(p.has(Issue.resolved_at), column.in_(ids)).order_by(Issue.id)).all()
    by = defaultdict(list)
    for sid, iid, number, title, resolved_at, due in rows:
        by[sid].append((iid, number, title, resolved_at, due))
    out = {}
    for sid, items in by.items():
        r = stats.on_time_of([(a, d) for _, _, _, a, d in items])
        out[sid] = _rate_value(r, [_ev("issue", i, _issue_label(n, t, "（按期）" if stats.is_on_time(a, d) else "（逾期）"))
                                   for i, n, t, a, d in items])
    return out


@metric("solution_rate", "问题解决率", ("officer",), "rate", stats.RATES["solution"].definition
        + "范围（动态解决率）：该服务官跟踪的、期末前反映且期初仍未办结的问题，按计算时的状态。")
def solution_rate(subject_type, ids, p, today):
    rows = db.session.execute(select(Issue.officer_id, Issue.id, Issue.number, Issue.title, Issue.status).where(
        Issue.received_on <= p.end, or_(Issue.resolved_at.is_(None), Issue.resolved_at >= stats.utc_start(p.start)),
        Issue.officer_id.in_(ids)).order_by(Issue.id)).all()
    by = defaultdict(list)
    for sid, iid, number, title, status in rows:
        by[sid].append((iid, number, title, status))
    out = {}
    for sid, items in by.items():
        counts = defaultdict(int)
        for *_, status in items:
            counts[status] += 1
        r = stats.solution_rate(counts)
        out[sid] = _rate_value(r, [_ev("issue", i, _issue_label(n, t)) for i, n, t, s in items if s != "void"])
    return out


@metric("visit_coverage", "每周走访覆盖率", ("officer",), "rate",
        "期内已结束的每一周，服务官在岗包联（首席或分包）的每家企业本周是否有走访记录："
        "有走访的（企业, 周）组合数 ÷ 应走访的组合数（与“未按周走访”履职记录同一口径）。")
def visit_coverage(subject_type, ids, p, today):
    last = _upto(p, today)
    weeks, monday = [], clock.week_start(p.start)
    if monday < p.start:
        monday += timedelta(days=7)
    while monday + timedelta(days=6) <= last:
        weeks.append(monday)
        monday += timedelta(days=7)
    if not weeks:
        return {}
    assignments = db.session.execute(select(Assignment.officer_id, Assignment.enterprise_id, Assignment.start_date,
                                            Assignment.end_date).where(
        Assignment.officer_id.in_(ids), Assignment.start_date <= weeks[-1],
        or_(Assignment.end_date.is_(None), Assignment.end_date >= weeks[0] + timedelta(days=6)))).all()
    ents = {e for _, e, _, _ in assignments}
    visits = db.session.execute(select(Visit.id, Visit.enterprise_id, Visit.visit_date).where(
        Visit.enterprise_id.in_(ents), Visit.visit_date.between(weeks[0], weeks[-1] + timedelta(days=6)))).all()
    visited = defaultdict(list)  # (enterprise, monday) -> visit ids
    for vid, ent, day in visits:
        visited[(ent, clock.week_start(day))].append((vid, day))
    expected, hit, evidence = defaultdict(set), defaultdict(set), defaultdict(dict)
    for officer_id, ent, start, end in assignments:
        for w in weeks:
            if start <= w and (end is None or end >= w + timedelta(days=6)):
                expected[officer_id].add((ent, w))
                if visited.get((ent, w)):
                    hit[officer_id].add((ent, w))
                    vid, day = visited[(ent, w)][0]
                    evidence[officer_id][vid] = _ev("visit", vid, f"走访 {day:%Y-%m-%d}（企业#{ent}）")
    return {sid: _rate_value(stats.visit_coverage(len(hit[sid]), len(expected[sid])),
                             sorted(evidence[sid].values(), key=lambda e: e["id"])) for sid in expected}


@metric("report_lapses", "台账与报告（迟报、漏报、催而不报）", ("officer",), "events",
        "期内记录的履职记录：迟报、漏报、催而不报各计一次（周报与月度工作台账，八(七)）。")
def report_lapses(subject_type, ids, p, today):
    rows = db.session.execute(select(DutyRecord.officer_id, DutyRecord.id, DutyRecord.kind, DutyRecord.period,
                                     DutyRecord.note).where(
        DutyRecord.officer_id.in_(ids), DutyRecord.kind.in_(stats.LAPSE_KINDS), p.has(DutyRecord.created_at))
        .order_by(DutyRecord.id)).all()
    out = {sid: Value(raw=0, n=0, text="0次") for sid in ids}
    for sid, rid, kind, period_key, note in rows:
        v = out[sid]
        v.counts[kind] = v.counts.get(kind, 0) + 1
        v.raw += 1
        v.evidence.append(_ev("duty", rid, f"{DUTY_KINDS.get(kind, kind)} {period_key} {note or ''}"))
    for v in out.values():
        v.n = int(v.raw)
        v.text = "、".join(f"{DUTY_KINDS.get(k, k)}{c}次" for k, c in sorted(v.counts.items())) or "无"
    return out


def _criticisms(column, ids, p):
    from ..accountability.models import Criticism

    rows = db.session.execute(select(column, Criticism.id, Criticism.title).where(
        column.in_(ids), Criticism.status == "published", p.has(Criticism.published_at)).order_by(Criticism.id)).all()
    out = {sid: Value(raw=0, n=0, text="0次") for sid in ids}
    for sid, cid, title in rows:
        out[sid].raw += 1
        out[sid].evidence.append(_ev("criticism", cid, title))
    for v in out.values():
        v.n = int(v.raw)
        v.text = f"{int(v.raw)}次"
    return out


@metric("criticisms", "通报批评", ("officer", "department"), "events", "期内发布的针对该服务官或单位的通报批评次数。")
def criticisms(subject_type, ids, p, today):
    from ..accountability.models import Criticism

    return _criticisms(Criticism.officer_id if subject_type == "officer" else Criticism.department_id, ids, p)


@metric("urges", "督办单", ("officer", "department"), "events",
        "期内发出的督办单次数。责任单位：发给本单位的；服务官：其跟踪问题的交办单所引起的。")
def urges(subject_type, ids, p, today):
    from ..accountability.models import Urge
    from ..notices.models import Notice

    if subject_type == "officer":
        query = (select(Issue.officer_id, Urge.id, Urge.number).join(Notice, Notice.id == Urge.notice_id)
                 .join(Issue, Issue.id == Notice.issue_id).where(Issue.officer_id.in_(ids)))
    else:
        query = select(Urge.department_id, Urge.id, Urge.number).where(Urge.department_id.in_(ids))
    rows = db.session.execute(query.where(Urge.status == "sent", p.has(Urge.sent_at)).order_by(Urge.id)).all()
    out = {sid: Value(raw=0, n=0, text="0次") for sid in ids}
    for sid, uid, number in rows:
        out[sid].raw += 1
        out[sid].evidence.append(_ev("urge", uid, f"督办单 {number or uid}"))
    for v in out.values():
        v.n = int(v.raw)
        v.text = f"{int(v.raw)}次"
    return out


@metric("discipline_breach", "违反八(六)纪律要求", ("officer",), "manual",
        "在企业兼职、收受企业财物、在企业报销费用或弄虚作假，经核实的：由督查人员在审核时认定（台账中没有此类记录）。")
def discipline_breach(subject_type, ids, p, today):
    return {sid: Value(raw=0, n=None, text="未认定") for sid in ids}


@metric("inspector", "督查人员评分", ("officer", "department"), "manual", "由督查人员在审核阶段按督查情况评分。")
def inspector(subject_type, ids, p, today):
    return {sid: Value(raw=None, n=None, text="待督查评分") for sid in ids}


# --- units -------------------------------------------------------------------------------------

@metric("notice_on_time", "交办单按期办结率", ("department",), "rate", stats.RATES["notice_on_time"].definition)
def notice_on_time(subject_type, ids, p, today):
    from ..notices.models import Notice, NoticeRecipient

    rows = db.session.execute(select(NoticeRecipient.department_id, Notice.id, Notice.number, Notice.title,
                                     Notice.due_on, Notice.replied_at).join(Notice, Notice.id == NoticeRecipient.notice_id)
                              .where(NoticeRecipient.department_id.in_(ids), NoticeRecipient.role == "lead",
                                     Notice.status.not_in((*NOTICE_BEFORE_SENDING, "void")), p.covers(Notice.due_on),
                                     or_(Notice.due_on < today, Notice.replied_at.is_not(None)))
                              .order_by(Notice.id)).all()
    by = defaultdict(list)
    for sid, *rest in rows:
        by[sid].append(rest)
    out = {}
    for sid, items in by.items():
        ok = [nid for nid, _, _, due, replied in items if replied is not None and stats.local_day(replied) <= due]
        r = stats.rate("notice_on_time", len(ok), len(items))
        out[sid] = _rate_value(r, [_ev("notice", nid, f"{number or ''} {title}{'（按期）' if nid in ok else '（逾期）'}")
                                   for nid, number, title, _, _ in items])
    return out


@metric("decision_on_time", "会商议定事项按期率", ("department",), "rate", stats.RATES["decision_on_time"].definition)
def decision_on_time(subject_type, ids, p, today):
    from ..meetings.models import MeetingDecision

    rows = db.session.execute(select(MeetingDecision.lead_department_id, MeetingDecision.id, MeetingDecision.text,
                                     MeetingDecision.due_on, MeetingDecision.reported_at).where(
        MeetingDecision.lead_department_id.in_(ids), MeetingDecision.status != "cancelled", p.covers(MeetingDecision.due_on),
        or_(MeetingDecision.due_on < today, MeetingDecision.reported_at.is_not(None))).order_by(MeetingDecision.id)).all()
    by = defaultdict(list)
    for sid, *rest in rows:
        by[sid].append(rest)
    out = {}
    for sid, items in by.items():
        ok = [did for did, _, due, rep in items if rep is not None and stats.local_day(rep) <= due]
        r = stats.rate("decision_on_time", len(ok), len(items))
        out[sid] = _rate_value(r, [_ev("decision", did, f"{text}{'（按期）' if did in ok else '（逾期）'}")
                                   for did, text, _, _ in items])
    return out


@metric("feedback_rate", "13710首次反馈率", ("department",), "rate", stats.RATES["feedback"].definition + "范围：该单位牵头的问题。")
def feedback_rate(subject_type, ids, p, today):
    rows = db.session.execute(select(Issue.lead_department_id, Issue.id, Issue.number, Issue.title, Issue.first_feedback_at,
                                     Issue.feedback_due).where(
        p.has(Issue.assigned_at), Issue.feedback_due.is_not(None), Issue.lead_department_id.in_(ids)).order_by(Issue.id)).all()
    by = defaultdict(list)
    for sid, *rest in rows:
        by[sid].append(rest)
    out = {}
    for sid, items in by.items():
        r = stats.feedback_of([(fed, due) for *_, fed, due in items], today)
        counted = [(i, n, t, fed, due) for i, n, t, fed, due in items if fed is not None or due < today]
        out[sid] = _rate_value(r, [_ev("issue", i, _issue_label(n, t, "（按时反馈）" if fed is not None and stats.local_day(fed) <= due
                                                              else "（未按时反馈）")) for i, n, t, fed, due in counted])
    return out


@metric("receipt_lapses", "签收与配合（签收超时）", ("department",), "events", "期内记录的签收超时次数（交办通知单1个工作日内未签收）。")
def receipt_lapses(subject_type, ids, p, today):
    from ..accountability.models import Lapse

    rows = db.session.execute(select(Lapse.department_id, Lapse.id, Lapse.kind, Lapse.ref_kind, Lapse.ref_id, Lapse.note)
                              .where(Lapse.department_id.in_(ids), Lapse.kind == "receipt_late", p.covers(Lapse.day))
                              .order_by(Lapse.id)).all()
    out = {sid: Value(raw=0, n=0, text="0次") for sid in ids}
    for sid, lid, kind, ref_kind, ref_id, note in rows:
        out[sid].raw += 1
        out[sid].counts[kind] = out[sid].counts.get(kind, 0) + 1
        out[sid].evidence.append(_ev(ref_kind, ref_id, f"签收超时 {note or ''}"))
    for v in out.values():
        v.n = int(v.raw)
        v.text = f"签收超时{int(v.raw)}次"
    return out


# --- other features' metrics (surveys, policies) --------------------------------------------------

@metric("satisfaction", "企业满意率", ("officer", "department"), "rate",
        stats.RATES["satisfaction"].definition)
def satisfaction(subject_type, ids, p, today):
    from ..surveys import metrics as mod  # imported late: the surveys read this package's cycles

    out = {}
    for sid, s in (mod.satisfaction(subject_type, ids, p) or {}).items():
        r = s.rate
        evidence = [e if isinstance(e, dict) else _ev("survey", e, f"评价#{e}") for e in (s.evidence or [])]
        out[sid] = _rate_value(r, evidence)
        out[sid].text += f"，未评价{getattr(s, 'unanswered', 0)}份"
    return out


@metric("inspection", "督查评价", ("officer", "department"), "score",
        "办公室电话询问、走访企业等督查记录的四项评分折算为百分制的平均分（app/surveys）。")
def inspection(subject_type, ids, p, today):
    from ..surveys import metrics as mod

    out = {}
    for sid, (score, n, evidence) in (mod.inspection(subject_type, ids, p) or {}).items():
        ev = [e if isinstance(e, dict) else _ev("inspection", e, f"督查记录#{e}") for e in (evidence or [])]
        if score is None:
            out[sid] = Value(raw=None, n=n or 0, text=f"{stats.INSUFFICIENT}（{n or 0}次）", evidence=ev, sufficient=False)
        else:
            out[sid] = Value(raw=round(float(score), 1), n=n, text=f"{float(score):.1f}分（{n}次）", evidence=ev)
    return out


@metric("policy_reach", "惠企政策宣传到位率", ("officer",), "rate",
        stats.RATES["policy_reach"].definition)
def policy_reach(subject_type, ids, p, today):
    from ..policies import metrics as mod

    return {sid: _rate_value(r, []) for sid, r in (mod.reach(ids, p) or {}).items()}
