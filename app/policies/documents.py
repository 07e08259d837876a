"""政策明白纸: one printed page per benefit item for visits, built with app.gongwen's primitives (GB/T 9704
type area, 仿宋 3号 body, 黑体 headings, 小标宋 title) from the item's data only — the same item and
revision give the same bytes. The office's name and the item's revision date close the page."""
from docx.enum.text import WD_ALIGN_PARAGRAPH

from .. import clock, gongwen
from ..gongwen import ooxml, parts
from ..gongwen.ooxml import fonts
from ..vocab import CASH_MODES, ENTERPRISE_SIZES

DOCX_MIMETYPE = gongwen.DOCX_MIME
CN = "一二三四五六七八九十"


def _clip(text, limit):
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _who(item):
    parts_ = []
    for kind, label in (("industry", "行业"), ("category", "企业类别"), ("subdistrict", "所属街道")):
        values = item.values(kind)
        if values:
            parts_.append(f"{label}为{'、'.join(values)}")
    sizes = [ENTERPRISE_SIZES.get(v, v) for v in item.values("size")]
    if sizes:
        parts_.append(f"规模为{'、'.join(sizes)}企业")
    who = "；".join(parts_) + "的企业。" if parts_ else "示范区内各类企业。"
    if item.target_desc:
        who += "其他条件：" + _clip(item.target_desc, 120)
    return who


def _window(item):
    if item.window_open and item.window_close:
        return f"{parts.cn_date(item.window_open)}至{parts.cn_date(item.window_close)}。"
    if item.window_close:
        return f"{parts.cn_date(item.window_close)}前。"
    return "常年受理（以责任单位通知为准）。" if item.cash_mode != "auto" else "无需申报，符合条件即享受。"


def sections(item):
    policy = item.policy
    basis = f"《{policy.title}》" + (f"（{policy.doc_number}）" if policy.doc_number else "")
    cash = CASH_MODES.get(item.cash_mode, item.cash_mode)
    if item.cash_days:
        cash += f"；受理后{item.cash_days}个工作日内兑现。"
    contact = item.department.name + (f"，{item.contact}" if item.contact else "") + (
        f"，电话{item.phone}" if item.phone else "") + "。"
    blocks = [("政策依据", basis + (f"发文机关：{policy.issuer}。" if policy.issuer else "")),
              ("支持内容", _clip(item.benefit, 160)), ("支持对象", _who(item)), ("兑现方式", cash),
              ("申报时间", _window(item)), ("受理单位及咨询电话", contact)]
    return [gongwen.Section(heading=f"{CN[i]}、{head}", paragraphs=[text]) for i, (head, text) in enumerate(blocks)]


def sheet_date(item):
    return clock.local(item.changed_at or item.created_at).date()


def sheet_docx(item):
    """The .docx bytes of the item's 明白纸."""
    day = sheet_date(item)
    title = f"{item.name}政策明白纸"
    doc = ooxml.new_document(day, title, gongwen.issuer_name())
    parts.title(doc, _clip(item.name, 40))
    parts.title(doc, "政策明白纸", size=parts.TITLE_PT - 6)
    parts.blank(doc)
    parts.sections(doc, sections(item))
    parts.blank(doc)
    ooxml.paragraph(doc, "请企业对照条件，及时与包联首席服务官或受理单位联系。", font=fonts()["kai"], first=parts.TWO_CHARS)
    ooxml.paragraph(doc, gongwen.issuer_name(), align=WD_ALIGN_PARAGRAPH.RIGHT, right=parts.TWO_CHARS)
    ooxml.paragraph(doc, parts.cn_date(day), align=WD_ALIGN_PARAGRAPH.RIGHT, right=parts.TWO_CHARS)
    return ooxml.save(doc, day)


def sheet_filename(item):
    return f"政策明白纸-{item.name}.docx".replace("/", "／")[:180]
