"""The case's documents, built by app.gongwen (GB/T 9704 信函格式) from the case's rows only:

* 代办委托书 (``authorization``): the parties, the items, the powers, the term, the enterprise's
  undertaking on its materials and the statement that 代办 is free of any charge (八(六));
* 代办事项材料一次性告知单 (``notice``): every missing material, told in one go;
* 代办结果移交单 (``handover``): the results per step, with a receipt form;
and the 代办台账 (.xlsx through app.exports.workbook) of the cases a user may see.

``store(case, kind, user)`` keeps a generated copy in the file store on the case (告知 and 移交 are
stored when they happen); ``document(case, kind)`` gives (bytes, filename) for a download.
"""
import io

from flask import current_app, has_app_context

from .. import clock, gongwen
from ..exports.workbook import Styles, notes, open_workbook, setup_sheet, title_rows, write_cell
from .rules import ProxyError, is_overdue

KINDS = {"authorization": "代办委托书", "notice": "代办事项材料一次性告知单", "handover": "代办结果移交单"}
DOCX_MIMETYPE = gongwen.DOCX_MIME
FREE = "首席服务官代办服务不收取任何费用，不接受企业任何形式的宴请、礼金和馈赠。"


def issuer():
    name = current_app.config.get("CSO_ISSUER_NAME") if has_app_context() else None
    return name or gongwen.issuer_name()


def _officer(case):
    return case.officer.name if case.officer else ""


def _items(items):
    return [f"{i}. {it.name}（主管部门：{it.department.name}；法定时限：{it.limit_text}）"
            for i, it in enumerate(items, start=1)]


def _local_day(stamp):
    return clock.local(stamp).date() if stamp else clock.today()


def authorization(case):
    items = case.scope_items or case.items
    until = gongwen.cn_date(case.authorized_until) if case.authorized_until else "　　年　　月　　日"
    sections = [
        gongwen.Section("", [f"委托方：{case.enterprise.name}（统一社会信用代码：{case.enterprise.credit_code or ''}）",
                             f"受托方：企业首席服务官 {_officer(case)}",
                             f"代办事由：{case.title}（代办件编号：{case.number}）"]),
        gongwen.Section("一、委托事项", _items(items)),
        gongwen.Section("二、委托权限", [
            "受托方在上述事项范围内代为咨询、指导、协调和帮办，代为向有关部门提交申请材料、跟踪办理进度、领取办理结果；"
            "超出委托事项范围或委托期限的，受托方不得代为办理。"]),
        gongwen.Section("三、委托期限", [f"自本委托书签署之日起至{until}止。"]),
        gongwen.Section("四、双方承诺", [
            "委托方按要求提供申请材料，对所提供材料的真实性、合法性负责，按受托方告知及时补正材料。",
            "受托方按企业预约的时间提供服务，对代办过程中知悉的企业信息保密，办理结果及时移交委托方。",
            FREE]),
    ]
    return gongwen.Letter(
        issuer=issuer(), number=case.number, title="代办委托书", recipients=f"首席服务官{_officer(case)}同志",
        sections=sections, signer=f"委托方：{case.enterprise.name}（盖章）", date=_local_day(case.authorized_at),
        note=f"（企业经办人：{case.contact}）" if case.contact else None,
        annexes=[gongwen.FormTable("委托事项清单", [(it.name, f"{it.department.name}；{it.limit_text}") for it in items]
                                   + [("委托方（盖章）", "年　　月　　日"), ("受托方（签字）", "年　　月　　日")],
                                   label="附件")],
        attachments=["委托事项清单"])


def notice(case):
    missing = case.missing_told or [m["name"] for m in case.missing]  # as told (the stored notice), else as now
    sections = [
        gongwen.Section("", [f"你单位委托代办的“{case.title}”（{case.number}），经核对申请材料，现将需补齐的材料一次性告知如下："]),
        gongwen.Section("一、代办事项", _items(case.items)),
        gongwen.Section("二、需补齐的材料", [f"{i}. {name}" for i, name in enumerate(missing, start=1)] or ["无。"]),
        gongwen.Section("三、有关说明", [
            "请按上述清单一次性补齐材料，交首席服务官或通过平台上传；材料齐全后即代为提交办理。",
            "本告知单所列以外的材料，不再要求补充。", FREE]),
    ]
    return gongwen.Letter(issuer=issuer(), number=case.number, title="代办事项材料一次性告知单",
                          recipients=case.enterprise.name, sections=sections, signer=issuer(),
                          date=_local_day(case.missing_told_at),
                          note=f"（首席服务官：{_officer(case)}" + (f"，电话：{case.officer.phone}" if case.officer and
                                                                  case.officer.phone else "") + "）")


def handover(case):
    lines = []
    for s in case.steps:
        lines.append(f"{s.seq}. {s.item.name}：{s.department.name}"
                     + (f"，{gongwen.cn_date(s.submitted_on)}提交，受理号{s.acceptance_no}" if s.submitted_on else "")
                     + (f"，{gongwen.cn_date(s.done_on)}出结果，结果文号{s.result_no}" if s.done_on else "，尚未出结果")
                     + "。")
    sections = [
        gongwen.Section("", [f"你单位委托代办的“{case.title}”（{case.number}）已办理完毕，现将办理结果移交如下："]),
        gongwen.Section("一、办理结果", lines or ["无。"]),
        gongwen.Section("二、移交说明", ["请核对上述批复文件、证照原件后在签收回执上签字，并如实填写是否见过办理部门或相关当事人。",
                                    FREE]),
    ]
    receipt = [("代办件编号", case.number), ("企业名称", case.enterprise.name), ("移交结果", f"共{len(case.steps)}项"),
               ("是否见过办理部门", "□是　□否"), ("是否见过相关当事人（征地、拆迁等）", "□是　□否"),
               ("企业签收人（签字）", ""), ("签收日期", "年　　月　　日"), ("移交人（首席服务官）", _officer(case))]
    return gongwen.Letter(issuer=issuer(), number=case.number, title="代办结果移交单", recipients=case.enterprise.name,
                          sections=sections, signer=issuer(), date=_local_day(case.done_at),
                          attachments=["代办结果签收回执"], annexes=[gongwen.FormTable("代办结果签收回执", receipt, label="附件")])


BUILDERS = {"authorization": authorization, "notice": notice, "handover": handover}


def document(case, kind, check=True):
    """(bytes, filename) of one of the case's documents (``check``: only when the state has it)."""
    if kind not in BUILDERS:
        raise ProxyError(404, "没有这种文书。")
    if not check:
        pass
    elif kind == "notice" and not (case.missing_told or case.missing):
        raise ProxyError(409, "材料齐全，没有需要一次性告知的材料。")
    elif kind == "handover" and case.status not in ("done", "delivered"):
        raise ProxyError(409, "代办件尚未办结，没有结果移交单。")
    return gongwen.letter_docx(BUILDERS[kind](case)), f"{case.number}-{KINDS[kind]}.docx".replace("/", "／")


def store(case, kind, user):
    from ..files.rules import attach_generated

    data, name = document(case, kind, check=False)  # called by the action that makes it due
    return attach_generated("proxy_case", case.id, name, data, actor=user, note=f"系统生成的{KINDS[kind]}")


# --- the 代办台账 ------------------------------------------------------------------------------------------

COLUMNS = [("序号", 6), ("代办编号", 18), ("企业名称", 28), ("代办事由", 30), ("代办事项", 36), ("首席服务官", 10),
           ("状态", 8), ("特事特办", 8), ("预约时间", 16), ("服务方式", 8), ("委托期限", 12), ("环节数", 7),
           ("已出结果", 8), ("按时出结果", 9), ("超期未办", 8), ("办结时间", 16), ("移交时间", 16), ("两不见面", 9),
           ("中止/终结原因", 20)]


def ledger_sheet(cases, out, today=None):
    """代办台账: one row per case (already scoped by the caller); returns the count. No money column."""
    today = today or clock.today()
    wb = open_workbook(out, streaming=False, title="代办台账")
    styles = Styles(wb)
    ws = wb.add_worksheet("代办台账")
    setup_sheet(ws, repeat_rows=2, freeze=(3, 0))
    title_rows(ws, styles, len(COLUMNS), "企业首席服务官代办服务台账", f"填报单位：{issuer()}",
               f"截至{gongwen.cn_date(today)}")
    for col, (header, width) in enumerate(COLUMNS):
        ws.set_column(col, col, width)
        ws.write_string(2, col, header, styles.header)
    r = 3
    for i, c in enumerate(cases, start=1):
        done = [s for s in c.steps if s.status == "done"]
        no_meet = "" if c.status != "delivered" else ("是" if not (c.met_department or c.met_counterparty) else "否")
        values = [i, c.number, c.enterprise.name, c.title, "、".join(it.name for it in c.items), _officer(c),
                  c.status_label, "是" if c.urgent else "",
                  f"{c.appointment_at:%Y-%m-%d %H:%M}" if c.appointment_at else "",
                  c.mode_label, c.authorized_until.isoformat() if c.authorized_until else "", len(c.steps), len(done),
                  sum(1 for s in done if s.due_on and s.done_on <= s.due_on),
                  sum(1 for s in c.steps if is_overdue(s, today)),
                  clock.local_text(c.done_at), clock.local_text(c.delivered_at), no_meet,
                  (c.stop_label + (f"：{c.stop_note}" if c.stop_note else "")) if c.stop_reason else ""]
        for col, value in enumerate(values):
            write_cell(ws, r, col, value, styles.number if isinstance(value, int) else styles.text, styles.quoted)
        r += 1
    notes(ws, styles, r, len(COLUMNS), ["注：法定时限按代办事项目录计算（工作日按本区节假日安排）；两不见面以企业签收时的确认为准；"
                                        "代办服务一律免费，台账不设任何收费栏目。"])
    wb.close()
    return len(cases)


def ledger_bytes(cases):
    out = io.BytesIO()
    ledger_sheet(cases, out)
    return out.getvalue()
