"""Office settings: the "13710" deadline policy (DESIGN.md §4). Every number is editable."""
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
}


@dataclass(frozen=True)
class Policy:
    transfer_days: int = 1
    feedback_days: int = 3
    resolve_days: int = 7
    major_months: int = 1
    approaching_days: int = 1
    serious_days: int = 5


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
        if not 0 <= number <= 366 or (key != "approaching_days" and number == 0 and key != "serious_days"):
            raise PolicyError(f"{LABELS[key]}取值不合理：{number}。")
        row = db.session.get(Setting, f"policy.{key}")
        if row is None:
            db.session.add(Setting(key=f"policy.{key}", value=str(number)))
        else:
            row.value = str(number)
    db.session.flush()
    return get_policy()
