"""Exports of the policy library (app/exports/workbook.py, the one safe .xlsx writer), scoped like the screens:

* 政策宣传台账 — one row per enterprise × item: the eligible pairs of in-force items among the user's
  enterprises, and every pair with a delivery the user may see (送达日期, 方式, 送达人, 是否解读, 企业确认,
  意向, 申兑状态, 兑现金额);
* 政策覆盖与兑现情况表 — one row per item the user may see: eligible, told (current revision), reach,
  confirmed, interested, applied, paid, amount, cash-out on time."""
import io
from decimal import Decimal

from sqlalchemy import select

from .. import clock, scope, stats
from ..exports.workbook import Styles, notes, open_workbook, setup_sheet, title_rows, write_cell
from ..extensions import db
from ..models import Assignment, Enterprise, Officer
from ..vocab import CASH_MODES, UPTAKE_APPLIED, UPTAKE_STATUSES
from .deliveries import cash_due
from .models import Policy, PolicyDelivery, PolicyItem, PolicyUptake
from . import rules
from .rules import item_in_force, pair_select

LEDGER_HEADERS = ["序号", "企业名称", "所属街道", "首席服务官", "政策名称", "惠企事项", "兑现方式", "是否送达", "送达日期",
                  "送达方式", "送达人", "是否解读", "企业确认", "企业意向", "申兑状态", "兑现金额（元）", "备注"]
LEDGER_WIDTHS = [6, 30, 10, 10, 30, 22, 10, 8, 11, 10, 8, 8, 11, 10, 10, 12, 20]
SUMMARY_HEADERS = ["序号", "政策名称", "发文字号", "惠企事项", "责任单位", "兑现方式", "申报截止", "符合条件企业", "已送达",
                   "宣传到位率", "企业已确认", "有意申报", "已申报", "已兑现", "兑现金额（元）", "按期兑现率"]
SUMMARY_WIDTHS = [6, 30, 18, 22, 12, 10, 11, 10, 8, 10, 10, 8, 8, 8, 12, 10]


def _enterprise_limit(user):
    from .deliveries import enterprise_limit

    return enterprise_limit(user)


def _chiefs():
    rows = db.session.execute(select(Assignment.enterprise_id, Officer.name).join(Officer).where(
        Assignment.role == "chief", Assignment.is_current).order_by(Officer.name)).all()
    out = {}
    for ent, name in rows:
        out.setdefault(ent, []).append(name)
    return out


def ledger_rows(user, today=None):
    """[(enterprise, item, latest visible delivery or None, uptake or None)] by enterprise, then item."""
    today = today or clock.today()
    items = scope.restrict(PolicyItem, select(PolicyItem.id), user)
    ents = scope.enterprise_ids(user)
    pairs = pair_select(PolicyItem.id, Enterprise.id, items=[item_in_force(today), PolicyItem.id.in_(items)],
                        enterprises=[Enterprise.id.in_(ents)] if ents is not None else [])
    keys = set(db.session.execute(pairs).all())
    deliveries = {}
    for d in db.session.scalars(scope.restrict(PolicyDelivery, select(PolicyDelivery), user).order_by(PolicyDelivery.id)):
        keys.add((d.item_id, d.enterprise_id))
        deliveries[(d.item_id, d.enterprise_id)] = d  # the latest wins
    uptakes = {(u.item_id, u.enterprise_id): u for u in db.session.scalars(
        scope.restrict(PolicyUptake, select(PolicyUptake), user))}
    item_rows = {i.id: i for i in db.session.scalars(select(PolicyItem).where(PolicyItem.id.in_({k[0] for k in keys})))}
    ent_rows = {e.id: e for e in db.session.scalars(select(Enterprise).where(Enterprise.id.in_({k[1] for k in keys})))}
    out = [(ent_rows[e], item_rows[i], deliveries.get((i, e)), uptakes.get((i, e))) for i, e in keys]
    return sorted(out, key=lambda r: (r[0].name, r[1].id))


def _unit_line(user):
    from ..exports.common import reporting_unit

    return "填报单位：" + reporting_unit(user)


def _write(headers, widths, title, rows, user, notes_lines):
    out = io.BytesIO()
    wb = open_workbook(out, streaming=False, title=title)
    ws = wb.add_worksheet(title[:31])
    styles = Styles(wb)
    setup_sheet(ws, repeat_rows=2, freeze=(3, 2))
    title_rows(ws, styles, len(headers), title, _unit_line(user), f"导出日期：{clock.today().isoformat()}")
    for col, (head, width) in enumerate(zip(headers, widths)):
        ws.write_string(2, col, head, styles.header)
        ws.set_column(col, col, width)
    row = 3
    for values in rows:
        for col, value in enumerate(values):
            write_cell(ws, row, col, value, styles.text, styles.quoted, styles.date)
        row += 1
    notes(ws, styles, row, len(headers), notes_lines)
    wb.close()
    return out.getvalue()


def ledger_xlsx(user, today=None):
    today = today or clock.today()
    chiefs = _chiefs()
    values = []
    for n, (ent, item, d, u) in enumerate(ledger_rows(user, today), start=1):
        current = d is not None and d.item_revision == item.revision
        note = "事项已变更，需重新送达" if d is not None and not current else ""
        values.append([
            n, ent.name, ent.subdistrict, "、".join(chiefs.get(ent.id, [])), item.policy.title, item.name,
            CASH_MODES.get(item.cash_mode, ""), "是" if current else "否", d.delivered_on if d else None,
            d.channel_label if d else None, d.officer.name if d and d.officer else None,
            ("是" if d.explained else "否") if d else None,
            clock.local(d.confirmed_at).date() if d and d.confirmed_at else None, d.interest_label if d else None,
            UPTAKE_STATUSES.get(u.status) if u else None, float(u.amount) if u and u.amount is not None else None, note])
    return _write(LEDGER_HEADERS, LEDGER_WIDTHS, "政策宣传台账", values, user,
                  ["注：每行为一家企业与一项惠企事项；“是否送达”以事项当前版本为准，事项有实质性变更后须重新送达。"])


def summary_rows(user, today=None):
    today = today or clock.today()
    limit = _enterprise_limit(user)
    items = db.session.scalars(scope.restrict(PolicyItem, select(PolicyItem), user).join(Policy).order_by(
        Policy.id, PolicyItem.id)).all()
    pairs = rules.eligible([PolicyItem.id.in_([i.id for i in items])], [Enterprise.id.in_(limit)] if limit is not None else [])
    by_item = {}
    for item_id, ent_id in db.session.execute(select(pairs.c.item_id, pairs.c.enterprise_id)):
        by_item.setdefault(item_id, set()).add(ent_id)
    out = []
    for item in items:
        eligible = by_item.get(item.id, set())
        ds = db.session.scalars(select(PolicyDelivery).where(PolicyDelivery.item_id == item.id, *(
            [PolicyDelivery.enterprise_id.in_(limit)] if limit is not None else []))).all()
        told = {d.enterprise_id for d in ds if d.item_revision == item.revision}
        confirmed = {d.enterprise_id for d in ds if d.confirmed_at is not None}
        interested = {d.enterprise_id for d in ds if d.interest == "apply"}
        us = db.session.scalars(select(PolicyUptake).where(PolicyUptake.item_id == item.id, *(
            [PolicyUptake.enterprise_id.in_(limit)] if limit is not None else []))).all()
        paid = [u for u in us if u.status == "paid"]
        on_time = sum(1 for u in paid if cash_due(u, item) is None or u.paid_on <= cash_due(u, item))
        out.append({
            "item": item, "eligible": len(eligible), "told": len(told & eligible) if eligible else len(told),
            "reach": stats.rate("policy_reach", len(told & eligible), len(eligible)), "confirmed": len(confirmed),
            "interested": len(interested), "applied": sum(1 for u in us if u.status in UPTAKE_APPLIED),
            "paid": len(paid), "amount": sum((u.amount or Decimal(0) for u in paid), Decimal(0)),
            "on_time": stats.rate("policy_cash_on_time", on_time, len(paid)), "in_force": None})
    return out


def summary_xlsx(user, today=None):
    values = []
    for n, r in enumerate(summary_rows(user, today), start=1):
        item = r["item"]
        values.append([n, item.policy.title, item.policy.doc_number, item.name, item.department.name,
                       CASH_MODES.get(item.cash_mode, ""), item.window_close, r["eligible"], r["told"], r["reach"].text,
                       r["confirmed"], r["interested"], r["applied"], r["paid"], float(r["amount"]), r["on_time"].text])
    return _write(SUMMARY_HEADERS, SUMMARY_WIDTHS, "政策覆盖与兑现情况表", values, user, [
        "注：宣传到位率 = 已送达（当前版本）的符合条件企业 ÷ 符合条件企业；按期兑现率 = 受理后兑现时限（工作日）内兑现的 ÷ 已兑现；"
        f"样本少于{stats.min_sample()}个时显示“样本不足”。"])
