"""代办 figures for the statistics module's users (assessments, dashboard, bulletins): each a
``stats.Rate`` (样本不足 under the minimum sample), defined in ``stats.RATES``.

* ``proxy_on_time`` 代办环节按时办结率: steps with a result in P obtained on or before their statutory
  due date ÷ steps with a result in P;
* ``proxy_no_meet`` 两不见面率: cases delivered in P whose enterprise answered it met neither a department
  nor a counterparty ÷ cases delivered in P.
Both accept extra SQL criteria (``*where``) on the case, e.g. ``ProxyCase.officer_id == 3``.
"""
from sqlalchemy import and_, func, select

from .. import stats
from ..extensions import db
from .models import ProxyCase, ProxyStep


def on_time_steps(p, *where):
    rows = db.session.execute(select(ProxyStep.done_on, ProxyStep.due_on).join(
        ProxyCase, ProxyCase.id == ProxyStep.case_id).where(
        ProxyStep.status == "done", p.covers(ProxyStep.done_on), *where)).all()
    on_time = sum(1 for done, due in rows if due is not None and done <= due)
    return stats.rate("proxy_on_time", on_time, len(rows))


def no_meet_rate(p, *where):
    delivered = and_(ProxyCase.status == "delivered", p.has(ProxyCase.delivered_at), *where)
    total = db.session.scalar(select(func.count()).select_from(ProxyCase).where(delivered))
    clean = db.session.scalar(select(func.count()).select_from(ProxyCase).where(
        delivered, ProxyCase.met_department.is_(False), ProxyCase.met_counterparty.is_(False)))
    return stats.rate("proxy_no_meet", clean, total)
