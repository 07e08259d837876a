"""The meeting's documents: the 纪要 (.docx, GB/T 9704 纪要格式, no seal — the convener's 审签 is a
recorded sign-off), the meeting notice (.docx as a letter, 信函格式) and the decision tracking sheet
and meeting register (.xlsx through app.exports.workbook).

Document generation is behind :func:`minutes_document` (one function, one place); the layout
itself is app.gongwen's. Publication stores the 纪要 with its SHA-256.
"""
from flask import current_app, has_app_context

from .. import clock, gongwen
from ..exports.workbook import Styles, notes, open_workbook, setup_sheet, title_rows, write_cell
from ..workflow import actor_name

DEFAULT_ISSUER = "焦作市城乡一体化示范区企业首席服务官办公室"
MINUTES_TITLES = {"consultation": "问题会商办公会议纪要", "director": "重大问题会商办公会议纪要",
                  "leading_group": "领导小组会议纪要"}
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def issuer():
    name = current_app.config.get("CSO_ISSUER_NAME") if has_app_context() else None
    return name or DEFAULT_ISSUER


due_text, cn_date = gongwen.due_text, gongwen.cn_date


def decision_line(decision):
    """“text（牵头单位：…；配合单位：…；完成时限：2026年12月21日前）” — as the 纪要 prints it."""
    parts = [f"牵头单位：{decision.lead_department.name}"]
    if decision.co_departments:
        parts.append(f"配合单位：{'、'.join(d.name for d in decision.co_departments)}")
    parts.append(f"完成时限：{due_text(decision.due_on)}")
    return f"{decision.text.rstrip('。')}（{'；'.join(parts)}）"


def _names(meeting, *attendance):
    return [p.name for p in meeting.participants if p.attendance in attendance]


def _distribution(meeting):
    if meeting.distribution:
        return meeting.distribution
    units = []
    for p in meeting.participants:
        if p.department is not None and p.department.name not in units:
            units.append(p.department.name)
    for d in meeting.decisions:
        for dept in (d.lead_department, *d.co_departments):
            if dept.name not in units:
                units.append(dept.name)
    return "、".join(units)


def minutes_title(meeting):
    return "企业首席服务官" + MINUTES_TITLES[meeting.level] + ("（更正）" if meeting.corrects_id else "")


def overview_paragraphs(meeting):
    held = meeting.held_at or meeting.planned_at
    lead = (f"{cn_date(held.date())}，{actor_name(meeting.convener)}在{meeting.place or '办公室'}主持召开"
            f"{meeting.level_label}，专题研究{len(meeting.topics)}个企业反映的问题。")
    if meeting.corrects_id and meeting.corrects is not None:
        lead = f"现对{meeting.corrects.number}纪要更正如下。" + lead
    return [lead] + [line.strip() for line in (meeting.overview or "").splitlines() if line.strip()]


def minutes_data(meeting):
    printed = clock.local(meeting.published_at).date() if meeting.published_at else clock.today()
    return gongwen.Minutes(
        issuer=issuer(), title=minutes_title(meeting), number=meeting.number or "", overview=overview_paragraphs(meeting),
        decisions=[decision_line(d) for d in meeting.decisions], present=_names(meeting, "present"),
        attending=_names(meeting, "attending"), absent=_names(meeting, "leave"),
        distribution=_distribution(meeting), printed_by=issuer(), printed_on=printed)


def minutes_document(meeting) -> bytes:
    """The 纪要 .docx of a meeting (GB/T 9704 纪要格式)."""
    return gongwen.minutes_docx(minutes_data(meeting))


def store_minutes(meeting, user):
    """Generate the 纪要, keep it in the file store on the meeting and record its SHA-256."""
    from ..files import rules as files

    if not meeting.number:
        return None
    att = files.attach_generated("meeting", meeting.id, f"{meeting.number}.docx", minutes_document(meeting),
                                 actor=user, note="印发的会议纪要（系统生成）")
    meeting.document_sha256, meeting.attachment_id = att.sha256, att.id
    return att


def clock_text(moment):
    """9时30分 / 15时 — the time of day as a notice writes it."""
    return f"{moment.hour}时" + (f"{moment.minute}分" if moment.minute else "")


def notice_document(meeting) -> bytes:
    """The meeting notice (会议通知) as a letter (信函格式) to the participating units."""
    held = meeting.planned_at
    units = [p.department.name for p in meeting.participants if p.department is not None]
    people = [p.name for p in meeting.participants if p.enterprise_id is None]
    topics = [f"{i}. {t.issue.enterprise.name}：{t.issue.title}" for i, t in enumerate(meeting.topics, start=1)]
    sections = [
        gongwen.Section("", [f"经研究，定于{cn_date(held.date())}{clock_text(held)}在{meeting.place or '另行通知的地点'}"
                              f"召开{meeting.level_label}，由{actor_name(meeting.convener)}召集。现将有关事项通知如下："]),
        gongwen.Section("一、会议议题", topics or ["另行通知。"]),
        gongwen.Section("二、参会单位及人员", ["、".join(people) or "另行通知。"]),
        gongwen.Section("三、有关要求", [
            "请各单位主要负责同志准时参会，并提前准备本单位涉及议题的办理情况和意见建议。",
            "因故不能参会的，请于会前向首席服务官办公室书面请假并明确代会人员。"]),
    ]
    return gongwen.letter_docx(gongwen.Letter(
        issuer=issuer(), number="", title=f"关于召开{meeting.title}的通知", recipients="、".join(units),
        sections=sections, signer=issuer(), date=clock.today()))


# --- spreadsheets -------------------------------------------------------------------------------

TRACKING_COLUMNS = [("纪要编号", 22), ("序号", 6), ("议定事项", 48), ("问题编号", 12), ("企业", 28), ("牵头单位", 16),
                    ("配合单位", 20), ("完成时限", 12), ("反馈周期", 12), ("最新进展", 40), ("状态", 8), ("超期天数", 8),
                    ("核销时间", 16)]
REGISTER_COLUMNS = [("纪要编号", 22), ("会议名称", 36), ("会议层级", 18), ("状态", 8), ("会议时间", 16), ("地点", 18),
                    ("召集人", 10), ("议题数", 8), ("议定事项数", 10), ("已核销", 8), ("印发时间", 16)]


def _sheet(out, sheet_name, title, columns, rows, footer):
    wb = open_workbook(out, streaming=False, title=title)
    styles = Styles(wb)
    ws = wb.add_worksheet(sheet_name)
    setup_sheet(ws, repeat_rows=2, freeze=(3, 0))
    title_rows(ws, styles, len(columns), title, f"填报单位：{issuer()}", f"截至{cn_date(clock.today())}")
    for col, (header, width) in enumerate(columns):
        ws.set_column(col, col, width)
        ws.write_string(2, col, header, styles.header)
    for r, values in enumerate(rows, start=3):
        for col, value in enumerate(values):
            fmt = styles.number if isinstance(value, int) else styles.text
            write_cell(ws, r, col, value, fmt, styles.quoted)
    notes(ws, styles, 3 + len(rows), len(columns), footer)
    wb.close()
    return len(rows)


def tracking_sheet(decisions, out, today=None):
    """议定事项督办台账: one row per decision (already scoped by the caller); returns the count."""
    today = today or clock.today()
    rows = []
    for d in decisions:
        overdue = (today - d.due_on).days if d.status == "open" and d.due_on < today else 0
        rows.append([d.meeting.number or "（未印发）", d.seq, d.text, d.issue.number if d.issue else "",
                     d.issue.enterprise.name if d.issue else "", d.lead_department.name,
                     "、".join(c.name for c in d.co_departments), d.due_on.isoformat(), d.feedback_label,
                     d.report_text or d.cancel_reason or "", d.status_label, overdue,
                     clock.local_text(d.verified_at) if d.verified_at else ""])
    return _sheet(out, "议定事项督办台账", "会商议定事项督办台账", TRACKING_COLUMNS, rows,
                  ["注：完成时限默认为会议召开后20日；超期天数按自然日计算，仅统计待办理事项。"])


def register_sheet(meetings, out):
    """会商会议登记簿: one row per meeting (already scoped by the caller); returns the count."""
    rows = [[m.number or "", m.title, m.level_label, m.status_label, f"{m.planned_at:%Y-%m-%d %H:%M}",
             m.place or "", actor_name(m.convener), len(m.topics), len(m.decisions),
             sum(1 for d in m.decisions if d.status == "verified"),
             clock.local_text(m.published_at) if m.published_at else ""] for m in meetings]
    return _sheet(out, "会商会议登记簿", "会商会议登记簿", REGISTER_COLUMNS, rows,
                  ["注：纪要编号在印发时按年度连续编号；更正纪要另行编号。"])


def minutes_file(user, meeting_id):
    """The stored 纪要 of a published meeting the user may see (made and stored on first request if
    publication left none, e.g. a meeting published before the file store). The caller commits."""
    from ..files import rules as files
    from . import rules

    meeting = rules.load_for(user, meeting_id)
    if meeting.status not in rules.MEETING_PUBLISHED:
        raise rules.MeetingError(409, "纪要尚未印发，没有可下载的纪要文件。")
    if meeting.attachment_id is None:
        store_minutes(meeting, user)
    return files.readable(user, meeting.attachment_id)


def notice_file(user, meeting_id):
    """(bytes, filename) of the meeting notice of a meeting the user may see."""
    from . import rules

    meeting = rules.load_for(user, meeting_id)
    if meeting.status == "cancelled":
        raise rules.MeetingError(409, "会议已取消。")
    return notice_document(meeting), f"关于召开{meeting.title}的通知.docx"
