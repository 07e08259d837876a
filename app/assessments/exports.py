"""The assessment workbooks (through app/exports/workbook.py, the one safe .xlsx writer): the score
detail of one subject (考核得分明细表), the cycle's ranking (考核结果排名表) and the annual summary
for the 组织部 (年度考核结果汇总表)."""
import io

from .. import clock
from ..exports.workbook import Styles, notes, open_workbook, setup_sheet, title_rows, write_cell
from ..vocab import ASSESSMENT_BANDS, ASSESSMENT_SUBJECTS
from . import settings
from .listing import period_label, serialize

FILL = {"green": "green", "yellow": "yellow", "red": "red"}


def _book(title):
    out = io.BytesIO()
    wb = open_workbook(out, streaming=False, title=title)
    return out, wb, Styles(wb)


def _done(out, wb):
    wb.close()
    return out.getvalue()


def score_detail(a):
    item = serialize(a, None, lines=True, url=lambda kind, id_: None)
    out, wb, st = _book("考核得分明细表")
    ws = wb.add_worksheet("得分明细")
    cols = ["序号", "维度", "考核项", "计分规则", "分值", "指标", "原始值", "样本数", "得分", "说明", "证据"]
    widths = [6, 8, 26, 10, 6, 18, 22, 8, 8, 24, 40]
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    title_rows(ws, st, len(cols), f"{item['period_label']}{item['subject_label']}考核得分明细表",
               f"考核对象：{item['subject_name']}　总分：{item['score']:g}　等次：{item['grade']}　名次：{item['rank']}/{item['cohort']}",
               f"导出日期：{clock.today():%Y-%m-%d}")
    for c, h in enumerate(cols):
        ws.write_string(2, c, h, st.header)
    row = 3
    for n, ln in enumerate(item["lines"], start=1):
        values = [n, ln["dimension"], ln["item"], ln["rule_label"], ln["max_points"], ln["metric_label"], ln["raw_text"],
                  ln["sample_n"], ln["points"], ln["note"],
                  "、".join(f"{e['kind_label']}#{e['id']} {e['label']}" for e in ln["evidence"])]
        for c, v in enumerate(values):
            write_cell(ws, row, c, v, st.text, st.quoted)
        row += 1
    defs = {ln["metric_label"]: ln["definition"] for ln in item["lines"] if ln["definition"]}
    s = settings.get()
    lines = [f"注：等次分数线 优秀≥{s.excellent}、良好≥{s.good}、合格≥{s.passing}，一票否决项成立即为不合格。"
             "样本不足的比率按同类对象得分的中位数计分；无数据的考核项不计分，普通项按100分折算。"]
    lines += [f"{k}：{v}" for k, v in defs.items()]
    if item["comment"]:
        lines.append(f"督查意见：{item['comment']}")
    notes(ws, st, row, len(cols), lines)
    setup_sheet(ws, repeat_rows=2, freeze=(3, 0))
    return _done(out, wb)


def ranking(cycle):
    out, wb, st = _book("考核结果排名表")
    ws = wb.add_worksheet("排名")
    items = list(cycle.scheme.items)
    cols = ["名次", ASSESSMENT_SUBJECTS[cycle.subject], "总分", "等次", "档次", "上期名次", "名次变化"] + [i.name for i in items]
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 6, 8)
    ws.set_column(7, len(cols) - 1, 12)
    title_rows(ws, st, len(cols), f"{period_label(cycle.period)}{cycle.subject_label}考核结果排名表",
               f"考核方案：{cycle.scheme.name}（第{cycle.scheme.version}版）　状态：{cycle.status_label}",
               f"导出日期：{clock.today():%Y-%m-%d}")
    for c, h in enumerate(cols):
        ws.write_string(2, c, h, st.header)
    row = 3
    for a in sorted(cycle.assessments, key=lambda x: (x.rank or 0, x.subject_name)):
        text, quoted, _, number = st.cells[FILL.get(a.band)]
        points = {ln.item_id: ln for ln in a.lines}
        change = "" if a.rank_change is None else ("↑%d" % a.rank_change if a.rank_change > 0 else
                                                    "↓%d" % -a.rank_change if a.rank_change < 0 else "—")
        values = [a.rank, a.subject_name, a.score, a.grade, ASSESSMENT_BANDS.get(a.band, ""), a.prev_rank, change]
        for i in items:
            ln = points.get(i.id)
            values.append(None if ln is None else (ln.points if ln.state not in ("no_data", "pending") else
                                                   ("无数据" if ln.state == "no_data" else "待评")))
        for c, v in enumerate(values):
            write_cell(ws, row, c, v, number if isinstance(v, (int, float)) else text, quoted)
        row += 1
    notes(ws, st, row, len(cols), ["注：绿、黄、红为排名档次（红档含不合格）；名次变化与上一季度相比，↑为上升。"])
    setup_sheet(ws, repeat_rows=2, freeze=(3, 2))
    return _done(out, wb)


def annual_summary(year, subject, rows):
    s = settings.get()
    out, wb, st = _book("年度考核结果汇总表")
    ws = wb.add_worksheet("汇总")
    cols = ["序号", "姓名" if subject == "officer" else "单位", "第一季度", "第二季度", "第三季度", "第四季度", "季度平均",
            "领导小组综合评价", "年度得分", "等次", "名次", "备注"]
    widths = [6, 16, 9, 9, 9, 9, 9, 12, 9, 8, 6, 24]
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    title_rows(ws, st, len(cols), f"{year}年度{ASSESSMENT_SUBJECTS[subject]}考核结果汇总表",
               "填报单位：首席服务官办公室", f"填报日期：{clock.today():%Y年%m月%d日}")
    for c, h in enumerate(cols):
        ws.write_string(2, c, h, st.header)
    row = 3
    for n, r in enumerate(rows, start=1):
        values = [n, r["name"], *[r["quarters"].get(q) for q in range(1, 5)], r["quarter_mean"], r["overall"], r["final"],
                  r["grade"] or "待评", r["rank"], r["overall_note"]]
        for c, v in enumerate(values):
            write_cell(ws, row, c, v, st.number if isinstance(v, (int, float)) else st.text, st.quoted)
        row += 1
    notes(ws, st, row, len(cols), [
        f"注：年度得分 = 已公布季度考核得分的平均分 × {s.quarter_weight}% + 领导小组年度综合评价 × {100 - s.quarter_weight}%；"
        f"等次分数线 优秀≥{s.excellent}、良好≥{s.good}、合格≥{s.passing}。结果报组织部，作为提拔任用、职级晋升的依据（八(四)）。"])
    setup_sheet(ws, repeat_rows=2, freeze=(3, 2))
    return _done(out, wb)


