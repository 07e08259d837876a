"""The office's settings: the "13710" deadline policy and the duty rhythms (docs/domain.md#deadlines).
Every number is editable on 系统设置 → 时限设置. ("Policy" in this project means 惠企政策, the policy library.)"""
from dataclasses import asdict, dataclass, fields

from sqlalchemy import select

from . import db
from .models import Setting

LABELS = {
    "transfer_days": "转办时限（工作日）",
    "feedback_days": "首次反馈时限（工作日）",
    "resolve_days": "一般问题办结时限（工作日）",
    "major_months": "重大复杂问题办结时限（自然月）",
    "approaching_days": "临期提醒（剩余工作日）",
    "serious_days": "严重超期（超过工作日）",
    "weekly_due_weekday": "周报截止（星期几，1=周一…5=周五）",
    "monthly_due_day": "月度工作台账截止（每月几日前）",
    "due_shift": "截止日遇节假日（1=顺延至下一工作日，-1=提前至上一工作日，0=不调整）",
    "visit_remind_weekday": "本周未走访提醒（从星期几开始，1=周一）",
    "report_remind_days": "报告到期前提醒（工作日）",
    "urge_grace_days": "催报后仍未报记为“催而不报”（工作日）",
    "quiet_start": "邮件发送开始时间（HHMM，工作日）",
    "quiet_end": "邮件发送结束时间（HHMM）",
    "export_job_rows": "导出超过多少行时转为后台任务（行）",  # app/jobs
}
RANGES = {"weekly_due_weekday": (1, 7), "monthly_due_day": (1, 28), "due_shift": (-1, 1),
          "visit_remind_weekday": (1, 7), "quiet_start": (0, 2359), "quiet_end": (0, 2359),
          "transfer_days": (1, 30), "feedback_days": (1, 60), "resolve_days": (1, 250), "major_months": (1, 12),
          "approaching_days": (0, 30), "serious_days": (1, 60), "report_remind_days": (0, 10),
          "urge_grace_days": (1, 30), "export_job_rows": (1, 1000000)}


@dataclass(frozen=True)
class Policy:
    transfer_days: int = 1
    feedback_days: int = 3
    resolve_days: int = 7
    major_months: int = 1
    approaching_days: int = 1
    serious_days: int = 5
    weekly_due_weekday: int = 5  # Friday (1 = Monday)
    monthly_due_day: int = 5
    due_shift: int = 1
    visit_remind_weekday: int = 3  # from Wednesday on, an enterprise with no visit this week is flagged
    report_remind_days: int = 2
    urge_grace_days: int = 2
    quiet_start: int = 830
    quiet_end: int = 1800
    export_job_rows: int = 5000  # larger exports run as background jobs with progress (app/jobs)


class PolicyError(ValueError):
    pass


def get_policy() -> Policy:
    stored = {row.key[len("policy."):]: row.value for row in db.session.scalars(
        select(Setting).where(Setting.key.like("policy.%")))}
    values = {}
    for f in fields(Policy):
        if f.name in stored:
            try:
                values[f.name] = int(stored[f.name])
            except ValueError:
                continue
    return Policy(**values)


def save_policy(**changes) -> Policy:
    """Validate and store; the caller recomputes open deadlines (ledger.recompute_open)."""
    current = asdict(get_policy())
    for key, value in changes.items():
        if key not in current:
            raise PolicyError(f"未知的设置项：{key}")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise PolicyError(f"{LABELS[key]}应为整数。") from None
        low, high = RANGES[key]
        if not low <= number <= high or (key.startswith("quiet_") and number % 100 >= 60):
            raise PolicyError(f"{LABELS[key]}应在{low}到{high}之间，当前为{number}。")
        row = db.session.get(Setting, f"policy.{key}")
        if row is None:
            db.session.add(Setting(key=f"policy.{key}", value=str(number)))
        else:
            row.value = str(number)
    db.session.flush()
    return get_policy()
