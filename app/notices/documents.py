"""The notice as a GB/T 9704 letter (信函格式) .docx, built by app.gongwen from the notice's data only
(never from the clock), so regenerating it gives the same text; the registered file is stored once
in the file store with its SHA-256 on the notice (docs/architecture.md#the-file-store).

Page 1: 发文机关标志, 发文字号, 标题, 主送机关, 正文 (一、企业基本情况 二、反映问题 三、前期协调 四、办理要求
with the due date written "2026年12月10日前"), 附件说明, 署名, 成文日期 (= the approval day), 附注
(联系人), 版记 (抄送). Page 2, the 附件: 交办事项办理情况反馈表.
"""
from flask import current_app

from .. import clock, gongwen
from ..workflow import actor_name
from .rules import SECTIONS, default_requirements

CN_NUMBERS = "一二三四五六七八九十"
ANNEX_TITLE = "交办事项办理情况反馈表"
DEFAULT_ISSUER = "焦作市城乡一体化示范区企业首席服务官办公室"


def issuer():
    return current_app.config.get("CSO_ISSUER_NAME") or DEFAULT_ISSUER


def _paragraphs(text):
    return [p.strip() for p in str(text or "").splitlines() if p.strip()]


def _sections(notice):
    body = notice.body or {}
    lead, co = notice.lead, notice.co_units
    due = gongwen.due_text(notice.due_on) if notice.due_on else "规定时限内"
    sections = []
    for i, (key, heading) in enumerate(SECTIONS.items()):
        paragraphs = _paragraphs(body.get(key))
        if key == "requirements":
            paragraphs = paragraphs or [default_requirements(bool(co))]
            units = f"牵头单位：{lead.name if lead else ''}" + (f"；配合单位：{'、'.join(d.name for d in co)}" if co else "")
            paragraphs += [f"（{units}）",
                           f"请于{due}将办理结果以书面形式（加盖公章，一事一文）报送{issuer()}，并填写附件反馈表；"
                           "确需延期的，须在办理时限届满1个工作日前说明理由并申请延期。"]
        sections.append(gongwen.Section(heading=f"{CN_NUMBERS[i]}、{heading}", paragraphs=paragraphs or ["无。"]))
    return sections


def _annex(notice):
    issue = notice.issue
    co = "、".join(d.name for d in notice.co_units)
    rows = [("交办单编号", notice.number or ""), ("企业名称", issue.enterprise.name if issue else ""),
            ("交办事项", notice.title), ("承办单位（牵头）", notice.lead.name if notice.lead else ""),
            ("配合单位", co), ("办理时限", gongwen.due_text(notice.due_on) if notice.due_on else ""),
            ("办理情况及结果", ""), ("企业意见", "□满意　□基本满意　□不满意"),
            ("承办单位负责人（签字）", ""), ("联系人及电话", ""), ("承办单位（盖章）", "年　　月　　日")]
    return gongwen.FormTable(title=ANNEX_TITLE, rows=rows, label="附件")


def letter(notice):
    """The :class:`app.gongwen.Letter` of a notice."""
    approved = clock.local(notice.approved_at).date() if notice.approved_at else clock.local(notice.drafted_at).date()
    contact = current_app.config.get("NOTICE_CONTACT") or (actor_name(notice.drafted_by) if notice.drafted_by else "")
    phone = current_app.config.get("NOTICE_CONTACT_PHONE")
    note = f"（联系人：{contact}" + (f"，电话：{phone}" if phone else "") + "）" if contact else None
    return gongwen.Letter(issuer=issuer(), number=notice.number or "", title=notice.title,
                    recipients=notice.lead.name if notice.lead else "", sections=_sections(notice),
                    signer=issuer(), date=approved, urgency=notice.urgency, attachments=[ANNEX_TITLE],
                    note=note, cc=notice.cc or None, annexes=[_annex(notice)])


def notice_document(notice):
    """The .docx bytes of the notice."""
    return gongwen.letter_docx(letter(notice))


def document_filename(notice):
    return f"{notice.number or '交办通知单'}-{notice.title}.docx".replace("/", "／")[:180]


def store_document(notice, user):
    """At registration: generate the .docx and keep it in the file store (the Attachment)."""
    from ..files.rules import attach_generated

    return attach_generated("notice", notice.id, document_filename(notice), notice_document(notice), actor=user,
                            note="登记时生成的交办通知单（以此文件的SHA-256为准）")
