"""Gapless yearly numbers per document kind, with a number format per kind as an office setting.

``take(kind, year)`` hands out the next sequence number of the year for that kind: the counter
row (``doc_counter``: kind, year, last) is locked by the UPDATE until the transaction ends, so two
transactions never get the same number and a rolled-back one leaves no gap. A kind registers its
default format once (``register``); the office may change it (系统设置 → 编号格式), e.g. the
problem number ``{year}-{seq:04d}`` → 2026-0001 or a notice ``示范区企服交〔{year}〕{seq}号``.
"""
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import DocCounter, Setting
from .errors import WorkflowError


@dataclass(frozen=True)
class NumberKind:
    kind: str
    label: str  # 问题编号
    default: str  # a str.format pattern with {year} and {seq}
    max_length: int  # the width of the column the number is stored in


KINDS = {}


def register(kind, label, default, max_length):
    KINDS[kind] = NumberKind(kind, label, default, max_length)
    return KINDS[kind]


def _setting_key(kind):
    return f"number_format.{kind}"


def number_format(kind):
    row = db.session.get(Setting, _setting_key(kind))
    return row.value if row is not None else KINDS[kind].default


def render(pattern, year, seq):
    return pattern.format(year=year, seq=seq)


def check_format(kind, pattern):
    """Chinese message when ``pattern`` cannot number ``kind``; None when it can."""
    spec = KINDS[kind]
    pattern = (pattern or "").strip()
    if "{seq" not in pattern:
        return "编号格式必须包含 {seq}（年度序号）。"
    try:
        sample = render(pattern, 2026, 9999)
    except (KeyError, IndexError, ValueError):
        return "编号格式只能使用 {year}（年份）和 {seq}（序号），如 {year}-{seq:04d}。"
    if len(sample) > spec.max_length:
        return f"{spec.label}最长{spec.max_length}个字符，按此格式将为“{sample}”（{len(sample)}个字符）。"
    if render(pattern, 2026, 1) == render(pattern, 2026, 2):
        return "编号格式必须使序号不同的编号各不相同。"
    return None


def save_format(kind, pattern):
    """Store the office's number format for ``kind`` (WorkflowError 422 when unusable)."""
    if kind not in KINDS:
        raise WorkflowError(422, f"未知的编号类型：{kind}。", "kind")
    pattern = (pattern or "").strip()
    problem = check_format(kind, pattern)
    if problem:
        raise WorkflowError(422, problem, kind)
    row = db.session.get(Setting, _setting_key(kind))
    if pattern == KINDS[kind].default:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(Setting(key=_setting_key(kind), value=pattern))
    else:
        row.value = pattern
    db.session.flush()


def next_seq(kind, year):
    """The next number of ``kind`` in ``year``: gapless and unique under concurrency."""
    for _ in range(3):
        seq = db.session.execute(
            update(DocCounter).where(DocCounter.kind == kind, DocCounter.year == year)
            .values(last=DocCounter.last + 1).returning(DocCounter.last)
        ).scalar()
        if seq is not None:
            return seq
        try:
            with db.session.begin_nested():
                db.session.add(DocCounter(kind=kind, year=year, last=1))
            return 1
        except IntegrityError:  # another transaction created the year's row first: use it
            continue
    raise WorkflowError(409, "编号分配冲突，请重试。")


def take(kind, year):
    """(seq, number) — the next sequence number of the year and its formatted number."""
    seq = next_seq(kind, year)
    return seq, render(number_format(kind), year, seq)


def last_numbers(kind):
    """{year: last seq} of ``kind`` (for the register screens)."""
    return dict(db.session.execute(select(DocCounter.year, DocCounter.last).where(DocCounter.kind == kind)).all())
