"""Documents of a recall (GB/T 9704 信函格式 via app.gongwen; the list also as .xlsx via
app.exports.workbook), built from the rows only (never the clock), so regenerating gives the same text:

* the approval form (首席服务官调整审批表) of a case — the office and the approver;
* the handover list (工作交接清单) of one enterprise, .docx and .xlsx — the officers, the office and,
  once confirmed, the enterprise (without the outgoing officer's notes);
* the letter to the enterprise (调整首席服务官告知函) — once the office confirmed the list.
"""
import io

from .. import clock, gongwen
from ..exports.workbook import Styles, notes, open_workbook, setup_sheet, title_rows, write_cell
from ..vocab import HANDOVER_ITEM_KINDS, HANDOVER_SIGNED, RECALL_APPROVERS, RECALL_EVIDENCE_KINDS
from ..workflow import WorkflowError, actor_name
from . import handover as handovers
from . import rules, settings

CN = "一二三四五六七八九十"


def _day(moment, fallback):
    return clock.local(moment).date() if moment else clock.local(fallback).date()


def _who(officer):
    if officer is None:
        return "（未定）"
    return f"{officer.name}（{officer.position}）" if getattr(officer, "position", "") else officer.name


def _enterprises(case):
    names = []
    for row in case.scope_rows:
        a = row.assignment
        label = f"{a.enterprise.name}（{a.role_label}）"
        if label not in names:
            names.append(label)
    return names


def approval_letter(case):
    approver = RECALL_APPROVERS[settings.get().approver]
    evidence = [f"{RECALL_EVIDENCE_KINDS.get(e.kind, e.kind)}：{e.text}" for e in case.evidence] or ["无。"]
    consult = (f"{gongwen.cn_date(case.consulted_on)}征求组织部意见。组织部意见：{case.consultation_opinion}"
               if case.consulted_on else "尚未征求组织部意见。")
    sections = [
        gongwen.Section("一、基本情况", [f"{_who(case.officer)}，现包联{'、'.join(_enterprises(case))}。"]),
        gongwen.Section("二、调整原因及依据", [f"调整原因：{case.reason_label}。{case.reason_text or ''}".strip()]
                        + [f"（{CN[i] if i < 10 else i + 1}）{line}" for i, line in enumerate(evidence)]),
        gongwen.Section("三、征求组织部意见情况", [consult]),
        gongwen.Section("四、接任安排", [f"拟由{_who(case.replacement)}接任，自{gongwen.cn_date(case.effective_on)}起生效"
                                    if case.effective_on else f"拟由{_who(case.replacement)}接任。",
                                    "原服务官须与接任服务官逐项办理工作交接，双方签字并经办公室确认后生效。"]),
    ]
    rows = [("调整编号", case.number or ""), ("服务官", _who(case.officer)), ("包联企业", "、".join(_enterprises(case))),
            ("调整原因", case.reason_label), ("接任服务官", _who(case.replacement)),
            ("生效日期", gongwen.cn_date(case.effective_on) if case.effective_on else ""),
            ("组织部意见", case.consultation_opinion or ""), ("办公室意见", "经办人：　　　　　　年　　月　　日"),
            (f"{approver}审批意见", (f"同意。{actor_name(case.approved_by)} {gongwen.cn_date(_day(case.approved_at, case.created_at))}"
                                 if case.approved_at else "签字：　　　　　　年　　月　　日"))]
    return gongwen.Letter(issuer=gongwen.issuer_name(), number=case.number or "", title="关于调整首席服务官的请示",
                          recipients=approver, sections=sections, signer=gongwen.issuer_name(),
                          date=_day(None, case.created_at), attachments=["首席服务官调整审批表"],
                          annexes=[gongwen.FormTable(title="首席服务官调整审批表", rows=rows, label="附件")])


def approval_form(user, case_id):
    case = rules.load_for(user, case_id)
    return gongwen.letter_docx(approval_letter(case)), f"{case.number}-首席服务官调整审批表.docx".replace("/", "／")


def _item_lines(h, with_notes):
    lines = []
    for n, item in enumerate(h.items, start=1):
        head = f"{n}.【{item.kind_label}】{(item.number + ' ') if item.number else ''}{item.title}"
        if item.status_label:
            head += f"（{item.status_label}）"
        if with_notes:
            head += f"。交接说明：{item.note or '（未填写）'}"
        lines.append(head)
    return lines or ["无在办事项。"]


def _signature_rows(h):
    def signed(moment, name):
        return f"{name}　{gongwen.cn_date(clock.local(moment).date())}" if moment else "签字：　　　　　　年　　月　　日"

    return [("移交人（原服务官）", signed(h.outgoing_signed_at, h.outgoing.name)),
            ("接收人（接任服务官）", signed(h.incoming_signed_at, h.incoming.name)),
            ("首席服务官办公室确认", signed(h.confirmed_at, "首席服务官办公室")),
            ("企业确认", signed(h.acknowledged_at, h.enterprise.name))]


def list_letter(h, with_notes=True):
    case = h.case
    groups = {}
    for item in h.items:
        groups.setdefault(item.kind, []).append(item)
    sections = [gongwen.Section("一、交接事由", [
        f"根据{case.number}，{h.enterprise.name}的服务工作由{_who(h.outgoing)}移交{_who(h.incoming)}，"
        f"自{gongwen.cn_date(case.effective_on)}起生效。在办事项随之移交，已办结事项及其记录保持不变。"])]
    sections.append(gongwen.Section("二、交接事项", _item_lines(h, with_notes)))
    sections.append(gongwen.Section("三、说明", ["交接生效后发现未列入本清单的在办事项，记入移交人。",
                                              f"共{len(h.items)}项：" + "、".join(
                                                  f"{HANDOVER_ITEM_KINDS[k]}{len(v)}项" for k, v in groups.items())
                                              + "。" if h.items else "无在办事项。"]))
    return gongwen.Letter(issuer=gongwen.issuer_name(), number=case.number or "", title=f"{h.enterprise.name}服务工作交接清单",
                          recipients="首席服务官办公室", sections=sections, signer=gongwen.issuer_name(),
                          date=_day(h.outgoing_signed_at, h.created_at), attachments=["工作交接签字表"],
                          annexes=[gongwen.FormTable(title="工作交接签字表", rows=_signature_rows(h), label="附件")])


def _filename(h, ext):
    return f"{h.case.number}-{h.enterprise.name}-工作交接清单.{ext}".replace("/", "／")[:180]


def list_docx(user, handover_id):
    h = handovers.load_for(user, handover_id)
    return gongwen.letter_docx(list_letter(h, handovers.sees_notes(user))), _filename(h, "docx")


COLUMNS = [("序号", 6), ("类别", 12), ("编号", 18), ("事项", 40), ("状态", 12), ("交接说明", 40), ("已移交", 8)]


def list_xlsx(user, handover_id):
    h = handovers.load_for(user, handover_id)
    with_notes = handovers.sees_notes(user)
    out = io.BytesIO()
    wb = open_workbook(out, streaming=False, title="工作交接清单")
    styles = Styles(wb)
    ws = wb.add_worksheet("工作交接清单")
    setup_sheet(ws, repeat_rows=2, freeze=(3, 0))
    title_rows(ws, styles, len(COLUMNS), f"{h.enterprise.name}服务工作交接清单",
               f"{h.case.number}　移交人：{h.outgoing.name}　接收人：{h.incoming.name}", f"状态：{h.status_label}")
    for col, (header, width) in enumerate(COLUMNS):
        ws.set_column(col, col, width)
        ws.write_string(2, col, header, styles.header)
    for r, item in enumerate(h.items, start=3):
        values = [r - 2, item.kind_label, item.number or "", item.title, item.status_label or "",
                  (item.note or "") if with_notes else "", "是" if item.moved else ""]
        for col, value in enumerate(values):
            write_cell(ws, r, col, value, styles.number if isinstance(value, int) else styles.text, styles.quoted)
    notes(ws, styles, 3 + len(h.items), len(COLUMNS),
          ["注：清单按交接时在办的问题、交办通知单、会商议定事项、代办事项、政策申报生成，承诺事项和联系人由移交人补充；"
           "交接生效后发现未列入清单的在办事项，记入移交人。"])
    wb.close()
    return out.getvalue(), _filename(h, "xlsx")


def enterprise_letter(h):
    case, new = h.case, h.incoming
    phone = f"，联系电话：{new.phone}" if new.phone else ""
    sections = [gongwen.Section("", [
        f"根据工作需要，经研究并征求组织部意见，自{gongwen.cn_date(case.effective_on)}起，贵企业的首席服务官由"
        f"{h.outgoing.name}同志调整为{_who(new)}同志{phone}。",
        "原服务官经手的在办事项已逐项移交，办理进度和已办结事项的记录保持不变。新任服务官将于近期上门走访，"
        "请贵企业在平台上确认知悉，如有意见建议，请与首席服务官办公室联系。",
        "特此函告。"])]
    return gongwen.Letter(issuer=gongwen.issuer_name(), number=case.number or "", title="关于调整首席服务官的函",
                          recipients=h.enterprise.name, sections=sections, signer=gongwen.issuer_name(),
                          date=_day(h.confirmed_at, h.created_at))


def letter_docx(user, handover_id):
    h = handovers.load_for(user, handover_id)
    if h.status not in HANDOVER_SIGNED:
        raise WorkflowError(409, "交接清单经办公室确认后才有告知函。")
    return gongwen.letter_docx(enterprise_letter(h)), f"{h.case.number}-{h.enterprise.name}-调整首席服务官告知函.docx".replace("/", "／")[:180]
