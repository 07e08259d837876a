"""通报 — weekly and month-end bulletins for the leading group (seed 六(三)(四), 七(一)).

``generate`` (beat on Fridays and on the 1st, or ``flask cso bulletin``) writes a *draft* with a
snapshot of the figures; the office edits the commentary and ``publish``es it: then it is a page
in the portal, an .xlsx attachment and an e-mail to the leaders."""
import io
from html import escape
from datetime import timedelta

from sqlalchemy import func, select

from . import clock, db, duties, scope, stats
from .validation import valid_id
from .vocab import LEADER, OFFICE_ROLES, OPEN_STATUSES, WITH_DEPARTMENT
from .exports.workbook import open_workbook, setup_sheet, text_formats, write_cell, write_text
from .mail import new_message, next_send_time, short_subject, to_utc_naive
from .models import (
    DUTY_KINDS, ISSUE_STATUSES, Assignment, Bulletin, Department, DutyRecord, Issue, IssueCategory,
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


def _period(kind, day):
    """The week holding ``day`` (weekly), or the month before ``day``'s month (month-end report)."""
    if kind == "weekly":
        return stats.period("week", day)
    return stats.period("month", day.replace(day=1) - timedelta(days=1))


def _issue_rows(query):
    return [[i.number, i.enterprise.name, i.title, ISSUE_STATUSES[i.status],
             i.lead_department.name if i.lead_department else ""] for i in db.session.scalars(query.order_by(Issue.id))]


def snapshot(kind, p):
    """The figures of a bulletin for period ``p`` (local days; rates from app.stats)."""
    start, end = p.start, p.end
    today = clock.today()
    data = {"new": _issue_rows(select(Issue).where(p.covers(Issue.received_on))),
            "closed": _issue_rows(select(Issue).where(Issue.status == "closed", p.has(Issue.closed_at))),
            "open_count": stats.open_count()}
    data["in_progress"] = _issue_rows(select(Issue).where(Issue.status.in_(WITH_DEPARTMENT)))
    data["overdue_by_department"] = [[name, n] for name, n in db.session.execute(
        select(Department.name, func.count()).join(Issue, Issue.lead_department_id == Department.id).where(
            Issue.status.in_(OPEN_STATUSES), Issue.due_on < today).group_by(Department.name)
        .order_by(func.count().desc()))]
    coverage = []
    visited = set(db.session.scalars(select(Visit.enterprise_id).where(p.covers(Visit.visit_date))))
    for officer in db.session.scalars(select(Officer).join(Assignment).where(
            Assignment.role == "chief", Assignment.is_current).distinct().order_by(Officer.name)):
        ents = [e.id for e in duties.enterprises_of(officer.id)]
        coverage.append([officer.name, sum(1 for e in ents if e in visited), len(ents)])
    data["visit_coverage"] = coverage
    # lapses about this period are recorded after its due day: look a week past its end
    data["duty_records"] = [[r.officer.name, DUTY_KINDS.get(r.kind, r.kind), r.note or ""] for r in db.session.scalars(
        select(DutyRecord).where(stats.happened_between(DutyRecord.created_at, start, end + timedelta(days=7)),
                                 DutyRecord.kind.in_(stats.LAPSE_KINDS)).order_by(DutyRecord.id))]
    rates = [stats.visit_coverage(sum(v for _, v, _ in coverage), sum(n for _, _, n in coverage))]
    from .accountability.rules import published_between

    data["criticisms"] = [[c.department.name if c.department else (c.officer.name if c.officer else ""),
                           c.basis_label, c.title] for c in published_between(start, end)]
    if kind == "monthly":  # satisfaction per officer and unit (app/surveys)
        from .surveys.results import bulletin_rows

        data.update(bulletin_rows(p))
    if kind == "monthly":
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


def generate(kind, day=None):
    """Write (or refresh) the draft bulletin of the period holding ``day``; a published one stays."""
    if kind not in ("weekly", "monthly"):
        raise BulletinError(422, "通报类型应为 weekly（周通报）或 monthly（月通报）。")
    day = day or clock.today()
    p = _period(kind, day)
    start, end = p.start, p.end
    bulletin = db.session.scalar(select(Bulletin).where(Bulletin.kind == kind, Bulletin.period_start == start))
    if bulletin is not None and bulletin.status == "published":
        return bulletin
    title = (f"首席服务官工作周通报（{start:%Y年%m月%d日}—{end:%m月%d日}）" if kind == "weekly"
             else f"企业问题办理情况月报（{start:%Y年%m月}）")
    if bulletin is None:
        bulletin = Bulletin(kind=kind, period_start=start, period_end=end, status="draft", title=title, commentary="",
                            data={}, created_at=clock.utcnow())
        db.session.add(bulletin)
    bulletin.data = snapshot(kind, p)
    db.session.commit()
    return bulletin


SECTIONS = [
    ("new", "本期新增问题", ["问题编号", "企业名称", "问题", "状态", "牵头单位"]),
    ("in_progress", "正在办理的问题", ["问题编号", "企业名称", "问题", "状态", "牵头单位"]),
    ("closed", "本期销号问题", ["问题编号", "企业名称", "问题", "状态", "牵头单位"]),
    ("overdue_by_department", "超期问题（按牵头单位）", ["牵头单位", "超期数"]),
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
        ws.write_string(row, 0, f"{label}（{len(bulletin.data[key])}）", title_fmt)
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


