"""Deadlines and tiers — the "13710" rule on China's working-day calendar (docs/domain.md#deadlines).

transfer within 1 working day of receipt; first feedback within 3 working days of the transfer;
ordinary problems solved within 7 working days, major ones within one calendar month. Tiers:
approaching (≤ 1 working day left), overdue, seriously overdue (≥ 5 working days past).
"""
from dateutil.relativedelta import relativedelta

from .. import workdays
from ..settings import Policy
from ..vocab import BEFORE_TRANSFER, WITH_DEPARTMENT


def transfer_due(received_on, policy: Policy):
    return workdays.add_workdays(received_on, policy.transfer_days)


def after_transfer(assigned_on, level, policy: Policy):
    """(feedback_due, resolve_due) counted from the day of the transfer (the clock starts there)."""
    feedback = workdays.add_workdays(assigned_on, policy.feedback_days)
    if level == "major":
        resolve = assigned_on + relativedelta(months=policy.major_months)
    else:
        resolve = workdays.add_workdays(assigned_on, policy.resolve_days)
    return feedback, resolve


def current_due(issue):
    """The deadline that applies in the issue's present status (None once it left the open states)."""
    if issue.status in BEFORE_TRANSFER:
        return issue.transfer_due
    if issue.status in WITH_DEPARTMENT:
        if issue.first_feedback_at is None and issue.feedback_due and issue.resolve_due:
            return min(issue.feedback_due, issue.resolve_due)
        return issue.resolve_due
    return None


def tier(due, today, policy: Policy):
    """None, 'approaching', 'overdue' or 'serious' for a deadline seen on ``today``."""
    if due is None:
        return None
    if due < today:
        return "serious" if workdays.workdays_between(due, today) >= policy.serious_days else "overdue"
    if workdays.workdays_between(today, due) <= policy.approaching_days:
        return "approaching"
    return None


def tier_bounds(name, today, policy: Policy):
    """(lowest, highest) ``due_on`` (inclusive, None = open) of a tier seen on ``today``.

    Lists filter tiers in SQL with these; they agree with :func:`tier` day for day.
    """
    one = relativedelta(days=1)
    # counting back from today (today itself counts when it is a working day), the n-th working
    # day: a deadline before it has at least n working days between it and today
    n = policy.serious_days
    nth_back = workdays.add_workdays(today, -(n - 1) if workdays.is_workday(today) else -n) if n else today
    if name == "serious":
        return None, nth_back - one
    if name == "overdue":  # overdue of any degree
        return None, today - one
    if name == "overdue_only":
        return nth_back, today - one
    if name == "approaching":
        return today, workdays.add_workdays(today, policy.approaching_days + 1) - one
    raise ValueError(name)
