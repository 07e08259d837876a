"""Plain data for the GB/T 9704 builders.

Callers (交办通知单, 督办单, 会商纪要) fill these from their own rows; the builders never read the
database. The field list is a contract other packages rely on: add fields with defaults only.
"""
from dataclasses import dataclass, field
from datetime import date


@dataclass
class Section:
    """A 正文 block: a heading (may be "") and its paragraphs.

    The caller writes the numbering: "一、…" is set in 黑体, "（一）…" in 楷体.
    """
    heading: str
    paragraphs: list[str]


@dataclass
class FormTable:
    """A table page (e.g. 交办事项办理情况反馈表) printed as an 附件 after the body."""
    title: str
    rows: list[tuple[str, str]]   # (label, value); value "" leaves room to fill in by hand
    label: str = ""               # "附件" / "附件1", top-left in 黑体


@dataclass
class Letter:
    """信函格式 (GB/T 9704 10.1): 交办通知单, 督办单, 函."""
    issuer: str                   # 发文机关标志, red
    number: str                   # 发文字号, flush right under the red double line
    title: str                    # 2号小标宋, centred
    recipients: str               # 主送机关; the builder adds the full-width colon
    sections: list[Section]
    signer: str                   # 署名
    date: date                    # 成文日期
    urgency: str | None = None    # 特急 / 加急
    attachments: list[str] = field(default_factory=list)   # 附件说明 names
    note: str | None = None       # 附注, e.g. "（联系人：张三，电话：0391-3563650）"
    cc: str | None = None         # 版记 抄送
    annexes: list[FormTable] = field(default_factory=list)  # each on its own page


@dataclass
class Minutes:
    """纪要格式 (GB/T 9704 10.3). A 纪要 carries no seal."""
    issuer: str
    title: str                    # "……会商办公会议纪要", red
    number: str                   # "示范区企服纪〔2026〕3号" or "第3期", as the caller wants
    overview: list[str]           # 会议概况
    decisions: list[str]          # 议定事项; the builder numbers them 一、二、三、…
    present: list[str]            # 出席
    attending: list[str]          # 列席
    absent: list[str]             # 请假
    distribution: str             # 分送
    printed_by: str               # 印发机关
    printed_on: date              # 印发日期 (also the date under the title)
