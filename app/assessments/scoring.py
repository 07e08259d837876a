"""The rule library: how an item turns the metric values of a cohort into points (docs/assessments.md).

* ``ratio_linear`` {floor, target}: full points at or above the target, 0 at or below the floor,
  linear in between.
* ``threshold_band`` {bands: [[at least, points], …]}: the points of the highest band reached, else 0.
* ``per_event`` {per} or {weights: {kind: points}}: points per event. An ordinary item with negative
  points starts from its maximum and does not go below 0; a 加分 item is capped at +max, a 扣分 item at −max.
* ``rank_points`` {first, step}: the cohort ranked by the value (ties share a rank): rank 1 gets
  ``first``, each further rank ``step`` less, never below 0.
* ``manual``: the inspector's points (0…max) entered at review; until then 待督查评分 (counts 0).
* ``veto``: a confirmed event forces 不合格 whatever the points.

A rate under the minimum sample (样本不足) scores the median points of the subjects whose sample is
sufficient; when nobody in the cohort has data (无数据, or all 样本不足) the item is left out for
everyone and the ordinary items are rescaled to 100."""
from statistics import median

from ..vocab import ASSESSMENT_EXTRA_DIMENSIONS

RANKED = ("ratio_linear", "threshold_band", "rank_points")  # rules that need a value with a sample


def _round(x):
    return round(float(x) + 0.0, 2)


def _ratio(params, value, max_points):
    floor, target = float(params["floor"]), float(params["target"])
    if value >= target:
        return max_points
    if value <= floor:
        return 0.0
    return max_points * (value - floor) / (target - floor)


def _band(params, value, max_points):
    for threshold, points in sorted(params["bands"], key=lambda b: -float(b[0])):
        if value >= float(threshold):
            return min(float(points), max_points)
    return 0.0


def _events(item, value):
    params = item.params or {}
    if params.get("weights"):
        total = sum(float(params["weights"].get(k, 0)) * n for k, n in (value.counts or {}).items())
    else:
        total = float(params.get("per", 0)) * float(value.raw or 0)
    m = float(item.max_points)
    if item.dimension == "扣分":
        return max(-m, min(0.0, total))
    if item.dimension == "加分":
        return min(m, max(0.0, total))
    deducting = any(float(w) < 0 for w in (params.get("weights") or {}).values()) or float(params.get("per", 0)) < 0
    base = m if deducting else 0.0  # deductions start from the maximum
    return max(0.0, min(m, base + total))


def _ranks(values):
    """Competition ranks (1, 2, 2, 4) of the values, highest first."""
    ordered = sorted(values.items(), key=lambda kv: -kv[1])
    ranks, prev, rank = {}, None, 0
    for pos, (sid, v) in enumerate(ordered, start=1):
        if v != prev:
            rank, prev = pos, v
        ranks[sid] = rank
    return ranks


def score_item(item, values):
    """{subject id: (points or None, state, note)} for one item over the cohort's metric values.
    state: ok | insufficient | no_data | pending | veto."""
    m = float(item.max_points)
    rule, params = item.rule, item.params or {}
    out = {}
    if rule == "manual":
        return {sid: (None, "pending", "待督查评分") for sid in values}
    if rule == "veto":
        for sid, v in values.items():
            hit = (v.raw or 0) > 0
            out[sid] = (0.0, "veto" if hit else "ok", "一票否决" if hit else "")
        return out
    if rule == "per_event":
        for sid, v in values.items():
            out[sid] = (None, "no_data", v.text) if v.no_data else (_round(_events(item, v)), "ok", "")
        return out
    # rules on a value with a sample
    usable = {sid: float(v.raw) for sid, v in values.items() if not v.no_data and v.sufficient and v.raw is not None}
    if not usable:
        return {sid: (None, "no_data", v.text or "无数据") for sid, v in values.items()}
    if rule == "rank_points":
        first, step = float(params.get("first", m)), float(params.get("step", 1))
        points = {sid: max(0.0, min(m, first - step * (r - 1))) for sid, r in _ranks(usable).items()}
    elif rule == "ratio_linear":
        points = {sid: _ratio(params, v, m) for sid, v in usable.items()}
    elif rule == "threshold_band":
        points = {sid: _band(params, v, m) for sid, v in usable.items()}
    else:
        raise ValueError(rule)
    mid = median(points.values())
    for sid, v in values.items():
        if sid in points:
            out[sid] = (_round(points[sid]), "ok", "")
        else:
            out[sid] = (_round(mid), "insufficient", f"样本不足，按同类中位数计{_round(mid)}分")
    return out


def total(lines):
    """(score, vetoed) of one subject from its lines [(item, points, state)]: the ordinary items
    rescaled to 100 when some are left out (无数据), plus bonus and deductions, never below 0."""
    ordinary_points = ordinary_max = extra = 0.0
    vetoed = False
    for item, points, state in lines:
        if state == "veto":
            vetoed = True
        if item.rule == "veto":
            continue
        if item.dimension in ASSESSMENT_EXTRA_DIMENSIONS:
            extra += points or 0.0
            continue
        if state == "no_data":
            continue
        ordinary_max += float(item.max_points)
        ordinary_points += points or 0.0
    base = ordinary_points * 100.0 / ordinary_max if ordinary_max else 0.0
    return max(0.0, _round(base + extra)), vetoed
