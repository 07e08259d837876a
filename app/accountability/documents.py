"""The 督办单 as a GB/T 9704 letter (信函格式) .docx, built by app.gongwen from the urge's data; kept
in the file store on the notice it urges (so whoever may see the notice may see its urges)."""
import hashlib

from .. import gongwen
from ..files.rules import attach_generated


def urge_document(urge, number, day):
    notice = urge.notice
    unit = urge.department.name if urge.department else ""
    sections = [
        gongwen.Section("一、督办事项", [notice.title if notice else urge.text]),
        gongwen.Section("二、原交办情况", [
            f"原交办单编号：{notice.number}；办理时限：{gongwen.due_text(notice.due_on)}。" if notice and notice.due_on
            else "（会商议定事项）"]),
        gongwen.Section("三、督办意见", [urge.text,
                                    "请你单位高度重视，立即组织办理，并于收到本督办单后2个工作日内将办理情况书面报送。"]),
    ]
    letter = gongwen.Letter(issuer=gongwen.issuer_name(), number=number, title=f"关于{unit}督办事项的督办通知",
                            recipients=unit, sections=sections, signer=gongwen.issuer_name(), date=day,
                            urgency="加急", cc="区四位一体督察组")
    return gongwen.letter_docx(letter)


def store_urge_document(user, urge, data):
    """Keep the sent 督办单 (its SHA-256 on the urge; the file on its notice)."""
    if urge.notice_id:
        att = attach_generated("notice", urge.notice_id, f"督办单-{urge.number or urge.id}.docx", data, actor=user,
                               note="督办单（发出时生成）")
        urge.document_sha256 = att.sha256
    else:
        urge.document_sha256 = hashlib.sha256(data).hexdigest()  # a decision's urge: the hash alone
