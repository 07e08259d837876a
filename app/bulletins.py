"""通报 — weekly, month-end and quarterly bulletins for the leading group (seed 六(三)(四), 七(一)).

``generate`` (beat on Fridays, on the 1st and on the quarter's first day, or ``flask cso bulletin``) writes a *draft* with a
snapshot of the figures; the office edits the commentary and ``publish``es it: then it is a page
in the portal, an .xlsx attachment and an e-mail to the leaders."""
import io
from html import escape
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, case, distinct, func, select

from . import clock, db, duties, scope, stats
from .ledger.deadlines import tier_bounds
from .settings import get_policy
from .validation import valid_id
from .vocab import LEADER, OFFICE_ROLES, OPEN_STATUSES, WITH_DEPARTMENT
from .exports.workbook import open_workbook, setup_sheet, text_formats, write_cell, write_text
from .mail import new_message, next_send_time, short_subject, to_utc_naive
from .models import (
    DUTY_KINDS, ISSUE_STATUSES, Assignment, Bulletin, Department, DutyRecord, Enterprise, Issue, IssueCategory,
    Officer, Visit,
)


class BulletinError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


def manages(user):
    """The office drafts and publishes bulletins; everyone else reads published ones only."""
    return bool(scope.role_names(user) & OFFICE_ROLES)


def visible(user):
    """SELECT of the bulletins ``user`` may read."""
    query = select(Bulletin)
    return query if manages(user) else query.where(Bulletin.status == "published")


def get_for(user, bulletin_id):
    """One bulletin the user may read (BulletinError 404 otherwise: drafts are the office's)."""
    bulletin = db.session.scalar(visible(user).where(Bulletin.id == int(bulletin_id))) if valid_id(bulletin_id) else None
    if bulletin is None:
        raise BulletinError(404, "通报不存在或尚未发布。")
    return bulletin


# the kinds of bulletin: what the office picks (label of its period) and what the bulletin is called
KINDS = {"weekly": "本周工作周通报", "monthly": "上月问题办理情况月报", "quarterly": "上季度工作通报"}
SHORT = {"weekly": "周通报", "monthly": "月度通报", "quarterly": "季度通报"}
WITH_RATES = ("monthly", "quarterly")  # these carry the ledger's rates and the satisfaction tables (issue 13)


def beat_times():
    """When beat drafts each kind, in words read off config.BEAT_SCHEDULE (每周五17:00, 每月1日8:00 …)."""
    from .settings import schedule_text

    entries = current_app.config.get("BEAT_SCHEDULE") or {}
    return "、".join(schedule_text(e["schedule"]) for e in entries.values()
                    if e.get("task") == "cso.bulletin" and (e.get("args") or (None,))[0] in KINDS)


def check_kind(kind):
    """``kind`` if it is one of :data:`KINDS`, else BulletinError 422."""
    if kind not in KINDS:
        raise BulletinError(422, "通报类型应为 " + "、".join(f"{k}（{v}）" for k, v in SHORT.items()) + "。")
    return kind


def _period(kind, day):
    """The week holding ``day`` (weekly), the month before ``day``'s month (month-end report), or the
    quarter before ``day``'s quarter (quarterly)."""
    if kind == "weekly":
        return stats.period("week", day)
    if kind == "quarterly":
        return stats.period("quarter", day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1) - timedelta(days=1))
    return stats.period("month", day.replace(day=1) - timedelta(days=1))


def _title(kind, start, end):
    if kind == "weekly":
        return f"首席服务官工作周通报（{start:%Y年%m月%d日}—{end:%m月%d日}）"
    if kind == "quarterly":
        return f"首席服务官工作季度通报（{start.year}年第{(start.month - 1) // 3 + 1}季度）"
    return f"企业问题办理情况月报（{start:%Y年%m月}）"


TOP = 20  # a list section names at most this many problems, with a link to the whole list (issue 11)


def _issue_rows(query, limit=TOP):
    """[number, enterprise, title, status, lead department] of the first ``limit`` problems — one query
    (the names joined, no lazy loads)."""
    query = query.add_columns(Enterprise.name, Department.name).outerjoin(
        Enterprise, Enterprise.id == Issue.enterprise_id).outerjoin(Department, Department.id == Issue.lead_department_id)
    return [[number, ent or "", title, ISSUE_STATUSES[status], dept or ""] for number, title, status, ent, dept
            in db.session.execute(query.limit(limit))]


def _issues(*where):
    return select(Issue.number, Issue.title, Issue.status).where(*where)


def _count(*where):
    return db.session.scalar(select(func.count()).select_from(Issue).where(*where))


def _by(label, *where, outer=False):
    """[[name, n]] of the problems matching ``where`` counted by lead department, category or the
    enterprise's chief officer (``label``), largest first — one grouped query."""
    if label == "department":
        query = select(Department.name, func.count()).select_from(Issue).join(Department, Department.id == Issue.lead_department_id)
    elif label == "category":
        query = select(IssueCategory.name, func.count()).select_from(Issue).outerjoin(IssueCategory)
    else:
        query = select(Officer.name, func.count()).select_from(Issue).join(Assignment, and_(
            Assignment.enterprise_id == Issue.enterprise_id, Assignment.role == "chief", Assignment.is_current)).join(
            Officer, Officer.id == Assignment.officer_id)
    rows = db.session.execute(query.where(*where).group_by(query.selected_columns[0]).order_by(func.count().desc(),
                                                                                             query.selected_columns[0]))
    return [[name or "未分类", n] for name, n in rows]


def snapshot(kind, p):
    """The figures of a bulletin for period ``p`` (local days; rates from app.stats): counts by
    department, officer and category, and by name only the problems that need a leader's attention —
    the seriously overdue first (the top :data:`TOP`, with ``links`` to the whole filtered list) —
    never every open problem. A constant number of statements whatever the size of the ledger."""
    start, end = p.start, p.end
    today = clock.today()
    policy = get_policy()
    open_ = Issue.status.in_(OPEN_STATUSES)
    overdue = (open_, Issue.due_on < today)
    serious = (open_, Issue.due_on <= tier_bounds("serious", today, policy)[1])
    received, closed = p.covers(Issue.received_on), (Issue.status == "closed", p.has(Issue.closed_at))
    data = {"new": _issue_rows(_issues(received).order_by(Issue.id.desc())),
            "closed": _issue_rows(_issues(*closed).order_by(Issue.id.desc())),
            "serious": _issue_rows(_issues(*serious).order_by(Issue.due_on, Issue.id)),
            "open_count": stats.open_count()}
    data["totals"] = {"new": _count(received), "closed": _count(*closed), "serious": _count(*serious)}
    data["links"] = {"new": f"/ledger/?received_from={start.isoformat()}&received_to={end.isoformat()}",
                     "serious": "/ledger/?tier=serious", "overdue_by_department": "/ledger/?tier=overdue",
                     "in_progress_by_department": "/ledger/?status=assigned,in_progress"}
    data["new_by_category"] = _by("category", received)
    data["in_progress_by_department"] = _by("department", Issue.status.in_(WITH_DEPARTMENT))
    data["overdue_by_department"] = _by("department", *overdue)
    data["overdue_by_officer"] = _by("officer", *overdue)
    data["overdue_by_category"] = _by("category", *overdue)
    visited = select(Visit.enterprise_id).where(p.covers(Visit.visit_date))
    chiefs = select(Assignment.officer_id).where(Assignment.role == "chief", Assignment.is_current)
    data["visit_coverage"] = [[name, seen, total] for _, name, seen, total in db.session.execute(
        select(Officer.id, Officer.name,
               func.count(distinct(case((Assignment.enterprise_id.in_(visited), Assignment.enterprise_id)))),
               func.count(distinct(Assignment.enterprise_id))).join(Assignment, Assignment.officer_id == Officer.id)
        .where(Assignment.is_current, Officer.id.in_(chiefs)).group_by(Officer.id, Officer.name).order_by(Officer.name, Officer.id))]
    coverage = data["visit_coverage"]
    # lapses about this period are recorded after its due day: look a week past its end
    lapses = (stats.happened_between(DutyRecord.created_at, start, end + timedelta(days=7)),
              DutyRecord.kind.in_(stats.LAPSE_KINDS))
    data["duty_records"] = [[name, DUTY_KINDS.get(k, k), note or ""] for name, k, note in db.session.execute(
        select(Officer.name, DutyRecord.kind, DutyRecord.note).join(Officer, Officer.id == DutyRecord.officer_id)
        .where(*lapses).order_by(DutyRecord.id).limit(TOP))]
    data["duty_by_kind"] = [[DUTY_KINDS.get(k, k), n] for k, n in db.session.execute(
        select(DutyRecord.kind, func.count()).where(*lapses).group_by(DutyRecord.kind).order_by(DutyRecord.kind))]
    data["totals"]["duty_records"] = sum(n for _, n in data["duty_by_kind"])
    data["links"]["duty_records"] = "/dutyrecordview/list/"
    rates = [stats.visit_coverage(sum(v for _, v, _ in coverage), sum(n for _, _, n in coverage))]
    from .accountability.rules import published_between

    data["criticisms"] = [[c.department.name if c.department else (c.officer.name if c.officer else ""),
                           c.basis_label, c.title] for c in published_between(start, end)]
    if kind in WITH_RATES:  # satisfaction per officer and unit (app/surveys), the ledger's rates
        from .surveys.results import bulletin_rows

        data.update(bulletin_rows(p))
        data["by_status"] = [[ISSUE_STATUSES[s], n] for s, n in db.session.execute(
            select(Issue.status, func.count()).group_by(Issue.status))]
        data["by_category"] = [[name or "未分类", n] for name, n in db.session.execute(
            select(IssueCategory.name, func.count()).select_from(Issue).outerjoin(IssueCategory).group_by(IssueCategory.name))]
        counts = stats.status_counts()
        rates = [stats.solution_rate(counts), stats.closure_rate(counts), stats.on_time_rate(p),
                 stats.feedback_rate(p, today)]
    rates.append(stats.report_timeliness(p, today)[0])
    data["rates"] = [r.as_dict() for r in rates]
    return data


def total(bulletin, key):
    """How many rows a section stands for (a list section keeps only the top :data:`TOP`)."""
    return (bulletin.data.get("totals") or {}).get(key, len(bulletin.data.get(key) or ()))


def generate(kind, day=None):
    """Write (or refresh) the draft bulletin of the period holding ``day``; a published one stays."""
    check_kind(kind)
    day = day or clock.today()
    p = _period(kind, day)
    start, end = p.start, p.end
    bulletin = db.session.scalar(select(Bulletin).where(Bulletin.kind == kind, Bulletin.period_start == start))
    if bulletin is not None and bulletin.status == "published":
        return bulletin
    title = _title(kind, start, end)
    if bulletin is None:
        bulletin = Bulletin(kind=kind, period_start=start, period_end=end, status="draft", title=title, commentary="",
                            data={}, created_at=clock.utcnow())
        db.session.add(bulletin)
    bulletin.data = snapshot(kind, p)
    db.session.commit()
    return bulletin


SECTIONS = [
    ("serious", "需要领导关注：严重超期的问题", ["问题编号", "企业名称", "问题", "状态", "牵头单位"]),
    ("new", "本期新增问题", ["问题编号", "企业名称", "问题", "状态", "牵头单位"]),
    ("new_by_category", "本期新增问题（按类别）", ["类别", "数量"]),
    ("in_progress", "正在办理的问题", ["问题编号", "企业名称", "问题", "状态", "牵头单位"]),  # drafts before issue 11
    ("in_progress_by_department", "正在办理的问题（按牵头单位）", ["牵头单位", "数量"]),
    ("closed", "本期销号问题", ["问题编号", "企业名称", "问题", "状态", "牵头单位"]),
    ("overdue_by_department", "超期问题（按牵头单位）", ["牵头单位", "超期数"]),
    ("overdue_by_officer", "超期问题（按首席服务官）", ["首席服务官", "超期数"]),
    ("overdue_by_category", "超期问题（按类别）", ["类别", "超期数"]),
    ("duty_by_kind", "迟报、漏报、催而不报（按类型）", ["类型", "数量"]),
    ("visit_coverage", "走访覆盖（按首席服务官）", ["首席服务官", "已走访企业", "包联企业"]),
    ("duty_records", "迟报、漏报、催而不报", ["服务官", "类型", "说明"]),
    ("criticisms", "通报批评", ["被通报单位或服务官", "事由", "通报"]),
    ("satisfaction_officer", "企业满意度（按首席服务官）", ["名次", "首席服务官", "答卷", "未评价", "满意率", "企业加权满意率", "核实差评"]),
    ("satisfaction_department", "企业满意度（按责任单位）", ["名次", "责任单位", "答卷", "未评价", "满意率", "企业加权满意率", "核实差评"]),
    ("by_status", "问题状态分布", ["状态", "数量"]),
    ("by_category", "问题类别分布", ["类别", "数量"]),
]


def workbook(bulletin):
    """The bulletin as .xlsx bytes, through the one safe cell writer (app.exports.workbook): text an
    enterprise typed stays text — no formulas, links or workbook XML."""
    out = io.BytesIO()
    wb = open_workbook(out, streaming=False, title=bulletin.title)
    title_fmt = wb.add_format({"bold": True, "font_size": 14})
    head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1})
    cell, quoted = text_formats(wb, {"border": 1, "text_wrap": True, "valign": "top"})
    plain, plain_quoted = text_formats(wb)
    ws = wb.add_worksheet("通报")
    setup_sheet(ws, paper=9)
    write_text(ws, 0, 0, bulletin.title, title_fmt)
    write_text(ws, 1, 0, f"说明：{bulletin.commentary or '（无）'}", plain, plain_quoted)
    row = 3
    for key, label, headers in SECTIONS:
        if key not in bulletin.data:
            continue
        ws.write_string(row, 0, f"{label}（{total(bulletin, key)}）", title_fmt)
        row += 1
        if total(bulletin, key) > len(bulletin.data[key]):
            link = (bulletin.data.get("links") or {}).get(key, "")
            write_text(ws, row, 0, f"以下列出前{len(bulletin.data[key])}项；完整清单见平台 {link}", plain, plain_quoted)
            row += 1
        for c, h in enumerate(headers):
            ws.write_string(row, c, h, head)
        row += 1
        for values in bulletin.data[key]:
            for c, v in enumerate(values):
                write_cell(ws, row, c, v, cell, quoted)
            row += 1
        row += 1
    for r in rate_lines(bulletin):
        write_text(ws, row, 0, r, plain, plain_quoted)
        row += 1
    ws.set_column(0, 0, 16)
    ws.set_column(1, 2, 36)
    ws.set_column(3, 4, 14)
    wb.close()
    return out.getvalue()


def rate_lines(bulletin):
    """'解决率：87.5%（35/40）。定义：…' for each rate of the bulletin (older ones kept one figure)."""
    if "rates" in bulletin.data:
        return [f"{r['label']}：{r['text']}（{r['numerator']}/{r['denominator']}）。{r['definition']}"
                for r in bulletin.data["rates"]]
    if "solution_rate" in bulletin.data:  # bulletins drafted before the statistics module
        return [f"问题解决率：{bulletin.data['solution_rate']}%"]
    return []


def publish(bulletin_id, user, commentary):
    from .reminders import _link, users_with_role

    bulletin = db.session.get(Bulletin, bulletin_id)
    if bulletin is None:
        raise BulletinError(404, "通报不存在。")
    if bulletin.status == "published":
        raise BulletinError(409, "该通报已经发布。")
    bulletin.commentary = (commentary or "").strip()
    bulletin.status, bulletin.published_at = "published", clock.utcnow()
    bulletin.published_by_id = user.id if user is not None else None
    data = workbook(bulletin)
    send_at = to_utc_naive(next_send_time(clock.now()))
    messages = []
    for leader in users_with_role(LEADER):
        text = f"{bulletin.title}已发布。\n\n{bulletin.commentary}\n\n详见附件，或登录平台查看：{_link(f'/bulletins/{bulletin.id}')}"
        messages.append(new_message(leader, short_subject("【通报】", bulletin.title), text,
                                    "<p>" + escape(text).replace("\n", "<br>") + "</p>",
                                    send_at, attachment_name=f"{bulletin.title}.xlsx", attachment=data))
    db.session.commit()
    bulletin.mail_note = _send_now(messages)  # what the screen may say: sent, or queued until when
    return bulletin


def _send_now(messages):
    """Send at once what quiet hours do not hold (a failure stays in 发件箱 for the retry); the
    outcome in words (issue 9 item 2: "已发送邮件" only when it was sent)."""
    import smtplib

    from .mail import deliver, outcome_text
    from .models import OutboundMessage

    ids = [m.id for m in messages]
    for message in messages:
        if message.status == "pending" and message.not_before <= clock.utcnow():
            try:
                deliver(message.id)
            except (OSError, smtplib.SMTPException):
                pass
    return outcome_text([db.session.get(OutboundMessage, i) for i in ids])


