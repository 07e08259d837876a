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
    "quiet_start": "邮件发送开始时间（工作日，时:分，如 08:30）",
    "quiet_end": "邮件发送结束时间（时:分，如 18:00）",
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


TIMES = ("quiet_start", "quiet_end")  # stored as HHMM numbers (830), shown and typed as 08:30


def time_text(hhmm):
    """830 → '08:30' (how the page shows and takes a time setting)."""
    return f"{int(hhmm) // 100:02d}:{int(hhmm) % 100:02d}"


def _time_value(key, value):
    """'08:30', '8:30' or the stored form 830 → 830; PolicyError (Chinese) otherwise."""
    text = str(value).strip().replace("：", ":")
    hours, sep, minutes = text.partition(":")
    try:
        h, m = (int(hours), int(minutes)) if sep else divmod(int(text), 100)
    except ValueError:
        raise PolicyError(f"{LABELS[key]}应为时:分，如 08:30。") from None
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise PolicyError(f"{LABELS[key]}应在00:00到23:59之间，当前为“{text}”。")
    return h * 100 + m


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
        if key in TIMES:
            number = _time_value(key, value)
        else:
            try:
                number = int(value)
            except (TypeError, ValueError):
                raise PolicyError(f"{LABELS[key]}应为整数。") from None
        low, high = RANGES[key]
        if not low <= number <= high:
            raise PolicyError(f"{LABELS[key]}应在{low}到{high}之间，当前为{number}。")
        row = db.session.get(Setting, f"policy.{key}")
        if row is None:
            db.session.add(Setting(key=f"policy.{key}", value=str(number)))
        else:
            row.value = str(number)
    db.session.flush()
    return get_policy()


# --- 定时任务: config.BEAT_SCHEDULE in words -------------------------------------------------------

_WEEKDAYS = "日一二三四五六"  # celery's day_of_week: 0 = Sunday
QUARTER_MONTHS = [1, 4, 7, 10]


def _every_minutes(minutes):
    """15 for [0, 15, 30, 45]; None when the minutes are not an even step from 0."""
    if len(minutes) < 2 or minutes[0] != 0:
        return None
    step = minutes[1] - minutes[0]
    return step if 60 % step == 0 and minutes == list(range(0, 60, step)) else None


def schedule_text(schedule):
    """A beat entry's schedule in Chinese, read off its crontab fields: 每15分钟, 每天3:30, 每周五17:00,
    每月1日8:00, 每季度首日8:30 (the 定时任务 page; config.BEAT_SCHEDULE is the only list)."""
    run_every = getattr(schedule, "run_every", None)
    if run_every is not None and not hasattr(schedule, "minute"):  # celery.schedules.schedule (an interval)
        seconds = int(run_every.total_seconds())
        return f"每{seconds // 60}分钟" if seconds % 60 == 0 else f"每{seconds}秒"
    minutes, hours = sorted(schedule.minute), sorted(schedule.hour)
    dow, dom, moy = sorted(schedule.day_of_week), sorted(schedule.day_of_month), sorted(schedule.month_of_year)
    if len(moy) == 12:
        months = ""
    elif moy == QUARTER_MONTHS and dom == [1]:
        months, dom = "每季度首日", list(range(1, 32))
    else:
        months = "每年" + "、".join(f"{m}月" for m in moy)
    days = "" if len(dom) == 31 else ("" if months else "每月") + "、".join(f"{d}日" for d in dom)
    week = "" if len(dow) == 7 else "每周" + "、周".join(_WEEKDAYS[d] for d in dow)
    when = months + days + (("，" if months or days else "") + week if week else "")
    if len(hours) == 24:
        step = _every_minutes(minutes)
        every = ("每分钟" if len(minutes) == 60 else f"每{step}分钟" if step
                 else "每小时" + "、".join(f"{m}分" for m in minutes))
        return f"{when}{'，' if when else ''}{every}"
    times = [f"{h}:{m:02d}" for h in hours for m in minutes]
    clock_text = ("、".join(times) if len(times) <= 6
                  else "、".join(f"{h}时" for h in hours) + "的" + "、".join(f"{m}分" for m in minutes))
    return f"{when or '每天'}{clock_text}"
