"""The office's assessment settings (the ``app/settings.py`` pattern): grade cut-offs, bands, the
appeal window, the ladder's follow-up time and the annual weights. Stored as
``Setting("assessment.<name>")``; edited on 考核评价 → 考核周期 → 考核设置."""
from dataclasses import asdict, dataclass, fields

from sqlalchemy import select

from ..extensions import db
from ..models import Setting

PREFIX = "assessment."
LABELS = {
    "excellent": "优秀（总分不低于）",
    "good": "良好（总分不低于）",
    "passing": "合格（总分不低于）",
    "top_band_percent": "绿档（排名前百分之几）",
    "bottom_band_percent": "红档（排名后百分之几）",
    "appeal_workdays": "申诉期限（公布后工作日）",
    "follow_up_workdays": "督察组跟踪督导期限（工作日）",
    "quarter_weight": "年度考核中季度考核所占比例（%，其余为领导小组综合评价）",
}
RANGES = {"excellent": (1, 100), "good": (1, 100), "passing": (1, 100), "top_band_percent": (0, 100),
          "bottom_band_percent": (0, 100), "appeal_workdays": (1, 30), "follow_up_workdays": (1, 120),
          "quarter_weight": (0, 100)}


@dataclass(frozen=True)
class AssessmentSettings:
    excellent: int = 90
    good: int = 80
    passing: int = 60
    top_band_percent: int = 30
    bottom_band_percent: int = 20
    appeal_workdays: int = 5
    follow_up_workdays: int = 20
    quarter_weight: int = 70


class SettingsError(ValueError):
    pass


def get() -> AssessmentSettings:
    stored = {row.key[len(PREFIX):]: row.value for row in db.session.scalars(
        select(Setting).where(Setting.key.like(PREFIX + "%")))}
    values = {}
    for f in fields(AssessmentSettings):
        if f.name in stored:
            try:
                values[f.name] = int(stored[f.name])
            except ValueError:
                continue
    return AssessmentSettings(**values)


def save(**changes) -> AssessmentSettings:
    """Validate (Chinese messages) and store; the cut-offs must descend 优秀 > 良好 > 合格."""
    current = asdict(get())
    for key, value in changes.items():
        if key not in current:
            raise SettingsError(f"未知的设置项：{key}")
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            raise SettingsError(f"{LABELS[key]}应为整数。") from None
        low, high = RANGES[key]
        if not low <= number <= high:
            raise SettingsError(f"{LABELS[key]}应在{low}到{high}之间，当前为{number}。")
        current[key] = number
    if not current["excellent"] > current["good"] > current["passing"]:
        raise SettingsError("等次分数线应满足：优秀 > 良好 > 合格。")
    if current["top_band_percent"] + current["bottom_band_percent"] > 100:
        raise SettingsError("绿档与红档的比例之和不能超过100%。")
    for key in changes:
        row = db.session.get(Setting, PREFIX + key)
        if row is None:
            db.session.add(Setting(key=PREFIX + key, value=str(current[key])))
        else:
            row.value = str(current[key])
    db.session.flush()
    return get()


def grade(score, vetoed=False, settings=None):
    """优秀/良好/合格/不合格 from the cut-offs; a veto forces 不合格."""
    s = settings or get()
    if vetoed or score is None or score < s.passing:
        return "不合格"
    if score >= s.excellent:
        return "优秀"
    if score >= s.good:
        return "良好"
    return "合格"
