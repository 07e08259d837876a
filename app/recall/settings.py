"""The office's settings of recall and handover (stored as ``Setting("recall.<name>")``), edited on
the recall page (服务官调整 → 设置):

* ``approver`` — who approves a recall: 办公室主任 (``director``, default) or 领导小组 (``leader``);
* ``transition_days`` — how long a recalled officer keeps read-only access to the enterprises they
  handed over (default 30 days after the effective date; 0 = none);
* ``term_years`` — the default service period of an assignment when the office set no end for it
  (default 3 years; 0 = open-ended);
* ``term_notice_days`` — how early the end of a service period shows in the office's queue (default 30).
"""
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import Setting
from ..vocab import RECALL_APPROVERS, labelled
from ..workflow import WorkflowError

PREFIX = "recall."
LABELS = {"approver": "召回审批人", "transition_days": "原服务官只读过渡期（天）",
          "term_years": "默认服务期限（年）", "term_notice_days": "服务期满提前提示（天）"}
RANGES = {"transition_days": (0, 365), "term_years": (0, 10), "term_notice_days": (1, 180)}


@dataclass(frozen=True)
class RecallSettings:
    approver: str = "director"
    transition_days: int = 30
    term_years: int = 3
    term_notice_days: int = 30

    @property
    def approver_label(self):
        return RECALL_APPROVERS[self.approver]


def get():
    stored = {row.key[len(PREFIX):]: row.value for row in db.session.scalars(
        select(Setting).where(Setting.key.like(PREFIX + "%")))}
    values = {}
    if stored.get("approver") in RECALL_APPROVERS:
        values["approver"] = stored["approver"]
    for key in RANGES:
        try:
            values[key] = int(stored[key])
        except (KeyError, ValueError):
            continue
    return RecallSettings(**values)


def save(**changes):
    """Validate and store the given settings (422 with the field on a bad value)."""
    clean = {}
    for key, value in changes.items():
        if key not in LABELS:
            raise WorkflowError(422, f"未知的设置项：{key}", key)
        if key == "approver":
            if value not in RECALL_APPROVERS:
                raise WorkflowError(422, f"{LABELS[key]}应为：{labelled(RECALL_APPROVERS)}", key)
            clean[key] = value
            continue
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            raise WorkflowError(422, f"{LABELS[key]}应为整数。", key) from None
        low, high = RANGES[key]
        if not low <= number <= high:
            raise WorkflowError(422, f"{LABELS[key]}应在{low}到{high}之间。", key)
        clean[key] = str(number)
    for key, value in clean.items():
        row = db.session.get(Setting, PREFIX + key)
        if row is None:
            db.session.add(Setting(key=PREFIX + key, value=value))
        else:
            row.value = value
    db.session.flush()
    return get()
