"""Satisfaction results per officer and unit for a period — the screen, the .xlsx summary sheet
(满意度测评汇总表) and the bulletin section all read :func:`tables`. Aggregates only: a rated party sees
its own row (never another's), the office, the director and leaders see all."""
import io

from sqlalchemy import select

from .. import scope, stats
from ..exports.workbook import Styles, notes, open_workbook, setup_sheet, title_rows, write_cell
from ..extensions import db
from ..models import Department, Officer
from ..vocab import SEES_ALL_ROLES, SURVEY_DIMENSIONS, SURVEY_LEVELS, SURVEY_TARGETS
from . import metrics, rules
from .models import SurveyAnswer, SurveyResponse


def _own_ids(user, subject_type):
    if subject_type == "officer":
        officer = scope.officer_of(user)
        return {officer.id} if officer is not None else set()
    return scope.department_id_set(user)


def level_counts(subject_type, ids, period):
    """{subject_id: {level: n}} of the answers submitted in the period (excluded reviews left out)."""
    rows = db.session.execute(select(SurveyAnswer.target_id, SurveyAnswer.level, SurveyAnswer.response_id).join(
        SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id).where(
        SurveyAnswer.target_type == subject_type, SurveyAnswer.level.is_not(None),
        period.has(SurveyResponse.submitted_at))).all()
    excluded = metrics.excluded_responses()
    out = {}
    for target_id, level, response_id in rows:
        if target_id in ids and (response_id, subject_type, target_id) not in excluded:
            out.setdefault(target_id, {}).setdefault(level, 0)
            out[target_id][level] += 1
    return out


def tables(user, period, everyone=False):
    """{subject_type: [row dicts]} ranked by the rate (insufficient samples last); ``everyone``: all
    subjects whoever asks (the bulletin, drafted by the sweep)."""
    sees_all = everyone or bool(scope.role_names(user) & SEES_ALL_ROLES)
    out = {}
    for subject_type, model in (("officer", Officer), ("department", Department)):
        wanted = None if sees_all else _own_ids(user, subject_type)
        if wanted is not None and not wanted:
            out[subject_type] = []
            continue
        sat = metrics.satisfaction(subject_type, wanted, period)
        bad = metrics.bad_reviews(subject_type, wanted, period)
        ids = set(sat) | set(bad)
        names = dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all()) if ids else {}
        counts = level_counts(subject_type, ids, period)
        rows = []
        for sid in ids:
            s = sat.get(sid)
            rows.append({
                "id": sid, "name": names.get(sid, f"#{sid}"), "sat": s, "bad": len(bad.get(sid, [])),
                "levels": counts.get(sid, {}),
            })
        rows.sort(key=lambda r: (r["sat"] is None or r["sat"].rate.value is None,
                                 -(r["sat"].rate.value or 0) if r["sat"] else 0, r["name"]))
        rank = 0
        for r in rows:
            if r["sat"] is not None and r["sat"].rate.value is not None:
                rank += 1
                r["rank"] = rank
            else:
                r["rank"] = None
        out[subject_type] = rows
    return out


def workbook(user, period):
    """满意度测评汇总表 (.xlsx): one sheet per subject type, counts per level, rates, rank."""
    buf = io.BytesIO()
    wb = open_workbook(buf, streaming=False, title=f"满意度测评汇总表（{period.label}）")
    styles = Styles(wb)
    data = tables(user, period)
    heads = ["名次", "名称", "答卷数", "未评价", *SURVEY_LEVELS.values(), "满意率", "企业加权满意率",
             *[f"{d}满意率" for d in SURVEY_DIMENSIONS], "核实差评"]
    for subject_type, label in SURVEY_TARGETS.items():
        ws = wb.add_worksheet(label)
        setup_sheet(ws, repeat_rows=2, freeze=(3, 2))
        title_rows(ws, styles, len(heads), f"{label}满意度测评汇总表", f"期间：{period.label}")
        for col, head in enumerate(heads):
            ws.write_string(2, col, head, styles.header)
        ws.set_column(1, 1, 24)
        ws.set_column(2, len(heads) - 1, 10)
        row = 3
        for r in data[subject_type]:
            s = r["sat"]
            values = [r["rank"], r["name"], s.answered if s else 0, s.unanswered if s else 0,
                      *[r["levels"].get(level, 0) for level in SURVEY_LEVELS],
                      s.rate.text if s else "—",
                      f"{round(100 * s.enterprise_weighted, 1)}%" if s and s.enterprise_weighted is not None else "样本不足",
                      *[s.dimensions[d].text if s else "—" for d in SURVEY_DIMENSIONS], r["bad"]]
            for col, value in enumerate(values):
                write_cell(ws, row, col, value, styles.text if col == 1 else styles.number, styles.quoted)
            row += 1
        notes(ws, styles, row, len(heads), [
            "注：1. 满意率 = “非常满意、满意、基本满意”的评价数 ÷ 评价总数（每份答卷对每个被评价对象的四个维度各计一次）；"
            "过期未评价的单列“未评价”，不计入满意。",
            "2. 企业加权满意率 = 各企业满意占比的平均值；样本不足（答卷或企业少于最小样本数）时不计算、不排名。",
            "3. 申诉成立剔除的差评不计入；核实差评为整改中、待回访和已办结的差评件。",
        ])
    wb.close()
    return buf.getvalue()


def bulletin_rows(period):
    """The bulletin's satisfaction sections: {"satisfaction_officer": rows, "satisfaction_department": rows}."""
    out = {}
    for subject_type, rows in tables(None, period, everyone=True).items():
        out[f"satisfaction_{subject_type}"] = [
            [r["rank"] or "—", r["name"], r["sat"].answered if r["sat"] else 0, r["sat"].unanswered if r["sat"] else 0,
             r["sat"].rate.text if r["sat"] else "—",
             f"{round(100 * r['sat'].enterprise_weighted, 1)}%" if r["sat"] and r["sat"].enterprise_weighted is not None
             else "样本不足", r["bad"]] for r in rows]
    return out


def own_answers(user):
    """The rated officer's (unit's) own ratings in the periods the assessments have published:
    [{"subject_type", "period", "rows": [{"day", "dimension", "level", "level_label", "excluded"}]}].
    The enterprise and the free text stay hidden (评价人信息保护, GB/T 39734)."""
    out = []
    excluded = metrics.excluded_responses()
    for subject_type in SURVEY_TARGETS:
        ids = _own_ids(user, subject_type)
        if not ids:
            continue
        for key in rules.published_periods(subject_type):
            try:
                p = stats.parse_period(key)
            except ValueError:
                continue
            rows = db.session.execute(select(
                SurveyAnswer.dimension, SurveyAnswer.level, SurveyAnswer.target_id, SurveyAnswer.response_id,
                SurveyResponse.submitted_at).join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id).where(
                SurveyAnswer.target_type == subject_type, SurveyAnswer.target_id.in_(ids),
                SurveyAnswer.level.is_not(None), p.has(SurveyResponse.submitted_at))
                .order_by(SurveyResponse.submitted_at, SurveyAnswer.id)).all()
            out.append({"subject_type": subject_type, "period": p, "rows": [
                {"day": stats.local_day(at), "dimension": dim, "level": level, "level_label": SURVEY_LEVELS[level],
                 "excluded": (rid, subject_type, tid) in excluded} for dim, level, tid, rid, at in rows]})
    return out
