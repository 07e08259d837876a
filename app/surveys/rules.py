"""The rules of satisfaction surveys (docs/surveys.md): templates and their versions, requests (close-out
with the fatigue limit and batching, quarterly, phone call-back), answers from the portal, the one-time
link or the office's phone/paper record, the sweep (send queued, remind after 3 days, expire after 15),
and who may see raw answers. Every screen, the REST API, the CLI and the task call these.

Errors are :class:`SurveyError` (the kit's WorkflowError: 403/404/409/422 with a Chinese message)."""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import exists, func, or_, select, update

from .. import clock, scope
from ..extensions import db
from ..models import Assignment, Department, Enterprise, EnterpriseUser, Issue, Officer
from ..validation import text_problem, valid_id
from ..vocab import (
    DEPARTMENT, ENTERPRISE, LEVEL_TO_CONFIRMATION, OFFICE_ROLES, SEES_ALL_ROLES, SURVEY_CHANNELS, SURVEY_DIMENSIONS,
    SURVEY_LEVELS, SURVEY_TARGETS,
)
from ..workflow import WorkflowError
from . import access  # noqa: F401  (registers the scope criteria)
from .models import SurveyAnswer, SurveyQuestion, SurveyRequest, SurveyResponse, SurveyTemplate

SurveyError = WorkflowError

# settings (config keys; defaults from the research: Znuny SendPeriod, 亳州 3-day invitation, 15-day expiry)
DEFAULTS = {"SURVEY_FATIGUE_DAYS": 7, "SURVEY_REMIND_DAYS": 3, "SURVEY_EXPIRE_DAYS": 15}


def setting(name):
    if has_app_context():
        return int(current_app.config.get(name, DEFAULTS[name]))
    return DEFAULTS[name]


# --- templates -------------------------------------------------------------------------------------

DIMENSION_QUESTIONS = {
    "服务态度": "对{who}的服务态度是否满意？", "工作效率": "对{who}的工作效率是否满意？",
    "政策落实": "对{who}的惠企政策落实情况是否满意？", "问题解决": "对{who}解决问题的情况是否满意？",
}
TEMPLATE_NAMES = {"closeout": "问题办结满意度回访", "quarterly": "季度企业满意度测评", "callback": "电话回访话术"}
INTROS = {
    "closeout": "您反映的问题已办结。请对首席服务官和责任单位的服务作出评价，评价自愿、真实，我们将对您的信息保密。",
    "quarterly": "请对本季度首席服务官和责任单位的服务作出评价，评价自愿、真实，我们将对您的信息保密。",
    "callback": "您好，这里是区首席服务官办公室，想占用您两分钟，就近期服务情况做个回访。以下问题请按"
                "“非常满意、满意、基本满意、不满意、非常不满意”作答。",
}


def default_questions():
    """The notice's four dimensions (六(四)) about the officer and about the department, plus free text."""
    out, sort = [], 0
    for target, who in (("officer", "首席服务官"), ("department", "责任单位")):
        for dim in SURVEY_DIMENSIONS:
            sort += 1
            out.append(SurveyQuestion(sort=sort, target=target, dimension=dim, qtype="level5", required=True,
                                      text=DIMENSION_QUESTIONS[dim].format(who=who)))
    out.append(SurveyQuestion(sort=sort + 1, target="overall", dimension=None, qtype="text", required=False,
                              text="您还有什么意见和建议？"))
    return out


def active_template(kind):
    """The active template of ``kind``; the default one is created (version 1) when there is none."""
    tpl = db.session.scalar(select(SurveyTemplate).where(SurveyTemplate.kind == kind, SurveyTemplate.status == "active")
                            .order_by(SurveyTemplate.version.desc()).limit(1))
    if tpl is None:
        last = db.session.scalar(select(func.max(SurveyTemplate.version)).where(SurveyTemplate.kind == kind)) or 0
        tpl = SurveyTemplate(kind=kind, name=TEMPLATE_NAMES[kind], version=last + 1, status="active",
                             intro=INTROS[kind], questions=default_questions())
        db.session.add(tpl)
        db.session.flush()
    return tpl


def locked(template):
    """A template is locked once any request using it has been answered (Znuny's rule)."""
    return bool(db.session.scalar(select(exists().where(
        SurveyRequest.template_id == template.id, SurveyRequest.status == "answered"))))


def _office(user):
    if not scope.role_names(user) & OFFICE_ROLES:
        raise SurveyError(403, "只有首席服务官办公室可以维护问卷。")


def _template(template_id):
    tpl = db.session.get(SurveyTemplate, int(template_id)) if valid_id(template_id) else None
    if tpl is None:
        raise SurveyError(404, "问卷不存在。")
    return tpl


def new_version(user, template_id):
    """A draft copy of a template with the next version number (the way to change a locked one)."""
    _office(user)
    tpl = _template(template_id)
    last = db.session.scalar(select(func.max(SurveyTemplate.version)).where(SurveyTemplate.kind == tpl.kind))
    copy = SurveyTemplate(kind=tpl.kind, name=tpl.name, version=last + 1, status="draft", intro=tpl.intro,
                          questions=[SurveyQuestion(sort=q.sort, target=q.target, dimension=q.dimension, qtype=q.qtype,
                                                    required=q.required, text=q.text) for q in tpl.questions])
    db.session.add(copy)
    db.session.flush()
    return copy


def add_question(user, template_id, target, dimension, qtype, text, required=True):
    _office(user)
    tpl = _template(template_id)
    if tpl.status != "draft" or locked(tpl):
        raise SurveyError(409, "只有未启用的草稿版本可以修改题目；请先“复制为新版本”。")
    if target not in (*SURVEY_TARGETS, "overall"):
        raise SurveyError(422, "评价对象应为首席服务官、责任单位或总体。", "target")
    if qtype not in ("level5", "text"):
        raise SurveyError(422, "题型应为五级评价或文字。", "qtype")
    if qtype == "level5" and (target == "overall" or dimension not in SURVEY_DIMENSIONS):
        raise SurveyError(422, "五级评价题须指定评价对象和维度（" + "、".join(SURVEY_DIMENSIONS) + "）。", "dimension")
    text = (text or "").strip()
    if not text or len(text) > 300 or text_problem(text, 300):
        raise SurveyError(422, "请填写题目（不超过300字，不含控制字符）。", "text")
    sort = max((q.sort for q in tpl.questions), default=0) + 1
    tpl.questions.append(SurveyQuestion(sort=sort, target=target, dimension=dimension if qtype == "level5" else None,
                                        qtype=qtype, text=text, required=bool(required) and qtype == "level5"))
    db.session.flush()
    return tpl


def remove_question(user, template_id, question_id):
    _office(user)
    tpl = _template(template_id)
    if tpl.status != "draft" or locked(tpl):
        raise SurveyError(409, "只有未启用的草稿版本可以修改题目；请先“复制为新版本”。")
    question = next((q for q in tpl.questions if str(q.id) == str(question_id)), None)
    if question is None:
        raise SurveyError(404, "题目不存在。")
    tpl.questions.remove(question)
    db.session.flush()
    return tpl


def activate(user, template_id):
    """Make a draft the live version of its kind (the previous one retires; open requests keep theirs)."""
    _office(user)
    tpl = _template(template_id)
    if tpl.status != "draft":
        raise SurveyError(409, "只有草稿版本可以启用。")
    if not any(q.qtype == "level5" for q in tpl.questions):
        raise SurveyError(422, "问卷至少需要一道五级评价题。")
    for other in db.session.scalars(select(SurveyTemplate).where(
            SurveyTemplate.kind == tpl.kind, SurveyTemplate.status == "active")):
        other.status = "retired"
    tpl.status = "active"
    db.session.flush()
    return tpl


# --- who is rated (fixed when the request is made) ---------------------------------------------------

def _current_officers(enterprise_id):
    """Officers of the enterprise's active assignments, the chief first."""
    rows = db.session.execute(select(Assignment.officer_id, Assignment.role).join(
        Officer, Officer.id == Assignment.officer_id).where(
        Assignment.enterprise_id == enterprise_id, Assignment.is_current, Officer.active.is_(True))).all()
    return [oid for oid, _ in sorted(rows, key=lambda r: (r[1] != "chief", r[0]))]


def issue_targets(issue):
    """Who a close-out answer about ``issue`` rates: its officer (else the enterprise's chief) and its lead unit."""
    officers = [issue.officer_id] if issue.officer_id else _current_officers(issue.enterprise_id)[:1]
    departments = [issue.lead_department_id] if issue.lead_department_id else []
    return {"officer": officers, "department": departments}


def _merge(targets, more):
    return {k: sorted(set(targets.get(k, [])) | set(more.get(k, []))) for k in SURVEY_TARGETS}


def _window(request, now):
    request.sent_at = now
    request.expires_at = now + timedelta(days=setting("SURVEY_EXPIRE_DAYS"))


def _notify_enterprise(request, title):
    from .. import notifications

    users = db.session.scalars(select(EnterpriseUser.user_id).where(
        EnterpriseUser.enterprise_id == request.enterprise_id)).all()
    notifications.notify(users, title, f"/surveys/requests/{request.id}", kind="survey",
                         key=f"survey:{request.id}:{'remind' if request.reminded_at else 'send'}")


def problem_resolved(issue):
    """The ledger's hook (app/ledger/rules.py, on 办结): ask the enterprise about the problem.

    Batching and the fatigue limit: the problem joins the enterprise's open close-out request when there
    is one; otherwise a new request is sent now — or queued until 7 days after the last close-out request
    sent to the enterprise. A problem already waiting in an open request is not asked about twice."""
    now = clock.utcnow()
    open_requests = db.session.scalars(select(SurveyRequest).where(
        SurveyRequest.enterprise_id == issue.enterprise_id, SurveyRequest.kind == "closeout",
        SurveyRequest.status.in_(("queued", "pending"))).order_by(SurveyRequest.id)).all()
    for req in open_requests:
        if issue.id in (req.issue_ids or []):
            return req
    targets = issue_targets(issue)
    if open_requests:
        req = open_requests[0]
        req.issue_ids = [*req.issue_ids, issue.id]
        req.targets = _merge(req.targets or {}, targets)
        return req
    last_sent = db.session.scalar(select(func.max(SurveyRequest.sent_at)).where(
        SurveyRequest.enterprise_id == issue.enterprise_id, SurveyRequest.kind == "closeout"))
    req = SurveyRequest(kind="closeout", template_id=active_template("closeout").id, enterprise_id=issue.enterprise_id,
                        issue_ids=[issue.id], targets=_merge({}, targets), created_at=now)
    fatigue = timedelta(days=setting("SURVEY_FATIGUE_DAYS"))
    if last_sent is not None and last_sent + fatigue > now:
        req.status, req.send_after = "queued", last_sent + fatigue
    else:
        req.status = "pending"
        _window(req, now)
    db.session.add(req)
    db.session.flush()
    if req.status == "pending":
        _notify_enterprise(req, "问题已办结，请对服务作出评价")
    return req


def quarterly_targets(enterprise_id, period):
    """Officers serving the enterprise now; the lead units of its problems transferred or resolved in the quarter."""
    departments = db.session.scalars(select(Issue.lead_department_id).where(
        Issue.enterprise_id == enterprise_id, Issue.lead_department_id.is_not(None),
        or_(period.has(Issue.assigned_at), period.has(Issue.resolved_at))).distinct()).all()
    return {"officer": sorted(_current_officers(enterprise_id)), "department": sorted(departments)}


def create_quarterly(period, user=None, only=None, progress=None):
    """One quarterly request per served enterprise (an active assignment) for ``period`` (a quarter);
    idempotent (key ``quarterly:<enterprise>:<period>``). Returns (created, skipped).
    ``progress(done, total)`` after each enterprise (the background job of the office's button)."""
    if period.kind != "quarter":
        raise SurveyError(422, "季度测评的期间应为季度，如 2026Q4。", "period")
    if user is not None and not scope.role_names(user) & OFFICE_ROLES:
        raise SurveyError(403, "只有首席服务官办公室可以发起季度测评。")
    now = clock.utcnow()
    served = db.session.scalars(select(Assignment.enterprise_id).where(Assignment.is_current).distinct()).all()
    tpl = active_template("quarterly")
    created, skipped = [], 0
    todo = [e for e in sorted(served) if only is None or e in only]
    for n, ent_id in enumerate(todo):
        if progress is not None:
            progress(n, len(todo))
        key = f"quarterly:{ent_id}:{period.key}"
        if db.session.scalar(select(exists().where(SurveyRequest.key == key))):
            skipped += 1
            continue
        targets = quarterly_targets(ent_id, period)
        if not targets["officer"] and not targets["department"]:
            skipped += 1
            continue
        req = SurveyRequest(key=key, kind="quarterly", template_id=tpl.id, enterprise_id=ent_id, period=period.key,
                            issue_ids=[], targets=targets, status="pending", created_at=now,
                            created_by_id=user.id if user is not None else None)
        _window(req, now)
        db.session.add(req)
        db.session.flush()
        _notify_enterprise(req, f"{period.label}企业满意度测评")
        created.append(req)
    if progress is not None:
        progress(len(todo), len(todo))
    return created, skipped


def create_callback(user, enterprise_id):
    """The office starts a phone call-back (电话回访) of an enterprise, rating who serves it now."""
    _office(user)
    ent = db.session.get(Enterprise, int(enterprise_id)) if valid_id(enterprise_id) else None
    if ent is None:
        raise SurveyError(422, "所选企业不存在。", "enterprise")
    targets = {"officer": sorted(_current_officers(ent.id)), "department": []}
    if not targets["officer"]:
        raise SurveyError(422, "该企业当前没有在岗的首席服务官，无可回访的评价对象。", "enterprise")
    now = clock.utcnow()
    req = SurveyRequest(kind="callback", template_id=active_template("callback").id, enterprise_id=ent.id,
                        issue_ids=[], targets=targets, status="pending", created_at=now, created_by_id=user.id)
    _window(req, now)
    db.session.add(req)
    db.session.flush()
    return req


# --- the sweep (task and CLI) --------------------------------------------------------------------------

def sweep(now=None):
    """Send queued requests whose fatigue wait is over, remind after 3 days, expire after 15 (未评价).
    Idempotent; returns counts."""
    now = now or clock.utcnow()
    counts = {"sent": 0, "reminded": 0, "expired": 0}
    for req in db.session.scalars(select(SurveyRequest).where(
            SurveyRequest.status == "queued", SurveyRequest.send_after <= now)):
        req.status = "pending"
        _window(req, now)
        _notify_enterprise(req, "问题已办结，请对服务作出评价")
        counts["sent"] += 1
    db.session.flush()
    expiring = (SurveyRequest.status == "pending", SurveyRequest.expires_at.is_not(None), SurveyRequest.expires_at <= now)
    counts["expired"] = db.session.execute(update(SurveyRequest).where(*expiring).values(
        status="expired", expired_at=now).execution_options(synchronize_session="fetch")).rowcount or 0
    remind_before = now - timedelta(days=setting("SURVEY_REMIND_DAYS"))
    for req in db.session.scalars(select(SurveyRequest).where(  # in id order: the same statements every run
            SurveyRequest.status == "pending", SurveyRequest.reminded_at.is_(None),
            SurveyRequest.sent_at <= remind_before).order_by(SurveyRequest.id)):
        req.reminded_at = now
        _notify_enterprise(req, "提醒：您有一份满意度评价尚未填写")
        counts["reminded"] += 1
    db.session.flush()
    return counts


# --- one-time links --------------------------------------------------------------------------------------

def _hash(token):
    return hashlib.sha256(str(token).encode("utf-8", "replace")).hexdigest()


def issue_link(user, request_id):
    """A new one-time token for a pending request (the previous one stops working); the token is shown
    once and only its hash is stored. Returns the token."""
    _office(user)
    req = load(user, request_id)
    if req.status != "pending":
        raise SurveyError(409, f"该评价当前为“{req.status_label}”，不能生成链接。")
    token = secrets.token_urlsafe(24)
    req.token_hash, req.token_expires_at, req.token_used_at = _hash(token), req.expires_at, None
    db.session.flush()
    return token


def by_token(token):
    """The request behind a one-time link, or a SurveyError saying why the link does not work."""
    text = str(token or "")
    if not 20 <= len(text) <= 64 or not all(c.isalnum() or c in "-_" for c in text):
        raise SurveyError(404, "链接无效。")
    req = db.session.scalar(select(SurveyRequest).where(SurveyRequest.token_hash == _hash(text)))
    if req is None:
        raise SurveyError(404, "链接无效或已被新的链接取代。")
    if req.token_used_at is not None or req.status == "answered":
        raise SurveyError(409, "该评价已提交，链接只能使用一次。感谢您的评价！")
    if req.status == "expired" or (req.token_expires_at and req.token_expires_at <= clock.utcnow()):
        raise SurveyError(410, "该链接已过期（有效期15天）。如需评价，请联系首席服务官办公室。")
    if req.status != "pending":
        raise SurveyError(409, "该评价尚未开放。")
    return req


# --- reading --------------------------------------------------------------------------------------------

def load(user, request_id):
    req = db.session.get(SurveyRequest, int(request_id)) if valid_id(request_id) else None
    if req is None or not scope.visible(SurveyRequest, req.id, user):
        raise SurveyError(404, "满意度评价不存在或不在您的查看范围内。")
    return req


def raw_answers_visible(user, request):
    """The whole answer sheet: the office, the director and leaders; the enterprise that answered. Never
    the rated officers and units: they read aggregated rates, and once the assessments publish a period
    only their own ratings of it (results.own_answers; docs/surveys.md#who-sees-what)."""
    roles = scope.role_names(user)
    if roles & SEES_ALL_ROLES:
        return True
    if ENTERPRISE in roles:
        return scope.visible(SurveyRequest, request.id, user)
    return False


def published_periods(subject_type):
    """Period keys whose assessment cycle for ``subject_type`` is published (app/assessments): from then
    on the rated officers (units) may read their own answers of that period."""
    from ..assessments.models import AssessmentCycle
    from ..vocab import ASSESSMENT_CYCLE_PUBLISHED

    return db.session.scalars(select(AssessmentCycle.period).where(
        AssessmentCycle.subject == subject_type, AssessmentCycle.status.in_(ASSESSMENT_CYCLE_PUBLISHED))
        .order_by(AssessmentCycle.period.desc())).all()


def target_names(targets):
    """{"officer": [(id, name)], "department": [(id, name)]} for a request's snapshot."""
    out = {}
    for kind, model in (("officer", Officer), ("department", Department)):
        ids = list((targets or {}).get(kind, []))
        names = dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all()) if ids else {}
        out[kind] = [(i, names.get(i, f"#{i}")) for i in ids]
    return out


def form_items(request):
    """The questions as the answer form draws them: one level item per question × rated party."""
    names = target_names(request.targets)
    items = []
    for q in request.template.questions:
        if q.qtype == "level5":
            for tid, tname in names.get(q.target, []):
                items.append({"field": f"q{q.id}_{q.target}_{tid}", "question": q, "target_type": q.target,
                              "target_id": tid, "target_name": tname, "text": q.text.replace(
                                  SURVEY_TARGETS[q.target], f"{SURVEY_TARGETS[q.target]}（{tname}）", 1)})
        else:
            items.append({"field": f"q{q.id}", "question": q, "target_type": None, "target_id": None,
                          "target_name": "", "text": q.text})
    return items


def _label(q):
    """What the form prints beside the five levels: the dimension for the default wording (the group's
    title names who is rated), else the office's own question text."""
    if q.qtype == "level5" and q.dimension in DIMENSION_QUESTIONS and q.target in SURVEY_TARGETS and \
            q.text == DIMENSION_QUESTIONS[q.dimension].format(who=SURVEY_TARGETS[q.target]):
        return q.dimension
    return q.text


def form_groups(request):
    """:func:`form_items` grouped by rated party (then the free text), for a short form on a phone."""
    groups, order = {}, []
    for it in form_items(request):
        key = (it["target_type"], it["target_id"])
        if key not in groups:
            title = (f"对{SURVEY_TARGETS[it['target_type']]}（{it['target_name']}）的评价" if it["target_type"]
                     else "意见和建议")
            groups[key] = {"title": title, "entries": []}
            order.append(key)
        groups[key]["entries"].append({**it, "label": _label(it["question"])})
    return [groups[k] for k in order]


# --- answering ------------------------------------------------------------------------------------------

def _answerer(user, req, channel, via_token):
    """Who may answer: the enterprise's own login (portal), anyone holding the link, or office staff
    recording a phone/paper answer — never an officer or unit rated in the request."""
    if channel not in SURVEY_CHANNELS or (channel == "link") != bool(via_token):
        raise SurveyError(422, "评价渠道应为 portal（企业端）、phone（电话回访）或 paper（纸质问卷）；"
                               "一次性链接只能从链接页面提交。", "channel")
    roles = scope.role_names(user)
    officer = scope.officer_of(user) if user is not None else None
    if officer is not None and officer.id in (req.targets or {}).get("officer", []):
        raise SurveyError(403, "被评价的首席服务官不能录入或填写对自己的评价。")
    if user is not None and DEPARTMENT in roles and scope.department_id_set(user) & set(
            (req.targets or {}).get("department", [])):
        raise SurveyError(403, "被评价的责任单位不能录入或填写对自己的评价。")
    if channel == "link":
        return
    if channel == "portal":
        if user is None or ENTERPRISE not in roles or not db.session.scalar(select(exists().where(
                EnterpriseUser.user_id == user.id, EnterpriseUser.enterprise_id == req.enterprise_id))):
            raise SurveyError(403, "只有该企业的账号可以在企业端填写评价。")
        return
    if user is None or not roles & OFFICE_ROLES:
        raise SurveyError(403, "电话或纸质回访只能由首席服务官办公室录入。")


def _level(value, label):
    if value in (None, ""):
        return None
    try:
        level = int(str(value).strip())
    except ValueError:
        level = None
    if level not in SURVEY_LEVELS:
        raise SurveyError(422, f"“{label}”的评价应为 5（非常满意）至 1（非常不满意）之一。", label)
    return level


def _short(value, limit, label, field=None):
    text = str(value or "").strip()
    if len(text) > limit:
        raise SurveyError(422, f"{label}不超过{limit}字。", field or label)
    problem = text_problem(text, limit, multiline=limit > 100)
    if problem:
        raise SurveyError(422, f"{label}：{problem}", field or label)
    return text or None


def submit(user, req, values, channel, via_token=False):
    """Record one response (portal, link, phone or paper). ``values``: {field: level or text} as
    :func:`form_items` names them, plus ``respondent``, ``respondent_post``. Then: bad-review cases for
    不满意/非常不满意, and the close-out answer becomes the problem's confirmation (three levels)."""
    from . import bad_reviews

    if req.status != "pending":
        raise SurveyError(409, f"该评价当前为“{req.status_label}”，不能再提交。")
    _answerer(user, req, channel, via_token)
    if not isinstance(values, dict):
        raise SurveyError(422, "评价内容格式不正确。")
    answers = []
    for item in form_items(req):
        q = item["question"]
        raw = values.get(item["field"])
        if q.qtype == "level5":
            level = _level(raw, item["text"])
            if level is None and q.required:
                raise SurveyError(422, f"请评价：{item['text']}", item["field"])
            if level is not None:
                answers.append(SurveyAnswer(question_id=q.id, dimension=q.dimension, target_type=item["target_type"],
                                            target_id=item["target_id"], level=level))
        else:
            text = _short(raw, 1000, "意见和建议", item["field"])
            if text:
                answers.append(SurveyAnswer(question_id=q.id, text=text))
    if not any(a.level for a in answers):
        raise SurveyError(422, "请至少作出一项评价。")
    now = clock.utcnow()
    response = SurveyResponse(request_id=req.id, submitted_at=now, channel=channel, answers=answers,
                              respondent=_short(values.get("respondent"), 50, "填写人", "respondent"),
                              respondent_post=_short(values.get("respondent_post"), 50, "职务", "respondent_post"),
                              comment=_short(values.get("note"), 1000, "回访情况", "note"),
                              recorded_by_id=user.id if user is not None else None)
    db.session.add(response)
    req.status, req.answered_at = "answered", now
    if channel == "link":
        req.token_used_at = now
    db.session.flush()
    bad_reviews.open_cases(response)
    if req.kind == "closeout":
        _confirm_problems(req, response)
    db.session.flush()
    return response


def _confirm_problems(req, response):
    """The close-out answer as each problem's confirmation (the ledger's three levels): the worst level
    given to the problem's officer or lead unit. A problem already confirmed or closed is left alone."""
    from ..ledger.rules import confirm_from_survey

    for issue_id in req.issue_ids or []:
        issue = db.session.get(Issue, issue_id)
        if issue is None:
            continue
        mine = issue_targets(issue)
        levels = [a.level for a in response.answers if a.level and a.target_id in mine.get(a.target_type, [])]
        if not levels:
            continue
        worst = min(levels)
        note = f"满意度回访（{response.channel_label}）：{SURVEY_LEVELS[worst]}"
        confirm_from_survey(issue, LEVEL_TO_CONFIRMATION[worst], note)


def commit():
    db.session.commit()
