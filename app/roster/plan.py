"""Rows → a plan against the database: what would be created, updated and ended.

Enterprises match by credit code, else by their name without place prefix and legal-form
suffix; officers by name + phone. Nothing is written here: the plan is what the preview shows
and what :mod:`app.roster.apply` writes.
"""
import re
from collections import defaultdict
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from .. import db
from ..accounts import mail_address
from ..models import ASSIGNMENT_ROLES, Assignment, Enterprise, Officer, User
from ..validation import nfkc
from .header import FIELD_LABELS, OFFICER_FIELD_LABELS
from ..validation import position, title_without_unit
from .parse import ROLE_ORDER

RANKS = {"chief": "县级", "liaison": "科级"}
# who gets a login when the import creates an officer: chiefs only, everyone new, or nobody. Liaison
# staff (具体分包人) get logins only when the office says so (issue 9): the default is chiefs only.
LOGIN_CHOICES = {"chief": "仅首席服务官（具体分包人不开通）", "all": "所有新服务官（含具体分包人）", "none": "不开通"}
DEFAULT_LOGINS = "chief"

PLACE_PREFIXES = ("中国", "河南省", "河南", "焦作市", "焦作", "城乡一体化示范区", "示范区", "解放区", "山阳区",
                  "中站区", "马村区", "修武县", "博爱县", "武陟县", "温县", "沁阳市", "孟州市")
LEGAL_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "股份公司", "集团公司", "公司", "(有限合伙)",
                  "有限合伙", "合伙企业", "个人独资企业", "厂")


def place_prefixes():
    """Place names stripped from the front of enterprise names for matching (longest first);
    ``IMPORT_PLACE_PREFIXES`` in the config adds the district's own."""
    extra = tuple(current_app.config.get("IMPORT_PLACE_PREFIXES", ()) or ())
    return tuple(sorted(set(extra + PLACE_PREFIXES), key=len, reverse=True))


def name_key(name, prefixes=None):
    """Enterprise name for matching: no spaces, no place prefix, no legal-form suffix."""
    key = re.sub(r"\s+", "", nfkc(name) or "")
    prefixes = prefixes or place_prefixes()
    changed = True
    while changed:
        changed = False
        for prefix in prefixes:
            if key.startswith(prefix) and len(key) - len(prefix) >= 2:
                key, changed = key[len(prefix):], True
                break
    for suffix in LEGAL_SUFFIXES:
        if key.endswith(suffix) and len(key) - len(suffix) >= 2:
            key = key[: -len(suffix)]
            break
    return key


@dataclass(eq=False)
class PersonPlan:
    name: str
    phone: str
    existing: Officer = None
    title: str = None
    unit: str = None
    email: str = None
    rank: str = "科级"
    row: int = 0
    roles: set = field(default_factory=set)  # the roles this person takes in the file
    updates: dict = field(default_factory=dict)
    officer: Officer = None  # set when applied
    username: str = None
    login: bool = False  # a login is opened for this new officer

    @property
    def label(self):
        return f"{self.name}（{self.phone}）" if self.phone else self.name


@dataclass(eq=False)
class EnterprisePlan:
    row: int
    name: str
    key: str
    existing: Enterprise = None
    values: dict = field(default_factory=dict)
    updates: dict = field(default_factory=dict)  # field → (old, new)
    people: dict = field(default_factory=dict)  # role → [PersonPlan] (only roles with people)
    rows: list = field(default_factory=list)
    enterprise: Enterprise = None  # set when applied


@dataclass
class Plan:
    enterprises: list = field(default_factory=list)
    persons: list = field(default_factory=list)
    creates: list = field(default_factory=list)  # (EnterprisePlan, PersonPlan, role)
    ends: list = field(default_factory=list)  # (Assignment, reason, EnterprisePlan, role)
    changes: list = field(default_factory=list)


def gets_login(pp, logins):
    """Does this new officer get a login under the import's ``logins`` choice?"""
    return pp.existing is None and (logins == "all" or (logins == "chief" and "chief" in pp.roles))


class Planner:
    def __init__(self, issues, filename, kind, logins=DEFAULT_LOGINS):
        self.issues = issues
        self.filename = filename
        self.kind = kind
        self.logins = logins
        self.prefixes = place_prefixes()
        self.enterprises = db.session.scalars(select(Enterprise)).all()
        self.by_code = {e.credit_code: e for e in self.enterprises if e.credit_code}
        self.by_name = {e.name: e for e in self.enterprises}
        self.by_key = defaultdict(list)
        for e in self.enterprises:
            self.by_key[self.key(e.name)].append(e)
        officers = db.session.scalars(select(Officer)).all()
        self.officers_by_name = defaultdict(list)
        for o in officers:
            self.officers_by_name[o.name].append(o)
        self.active = defaultdict(lambda: defaultdict(list))
        for a in db.session.scalars(select(Assignment).where(Assignment.is_current)):
            self.active[a.enterprise_id][a.role].append(a)
        self.officer_by_id = {o.id: o for o in officers}
        self.login_emails = {oid: mail_address(address) for oid, address in db.session.execute(
            select(Officer.id, User.email).join(User, User.id == Officer.user_id))}
        self._grams = self._heads = None
        self.header = None

    def key(self, name):
        return name_key(name, self.prefixes)

    # -- enterprises --
    def match_enterprise(self, row):
        values = row.values
        name, code = values["name"], values.get("credit_code")
        key = self.key(name)
        label_code = "ent.credit_code"
        by_code = self.by_code.get(code) if code else None
        candidates = self.by_key.get(key, [])
        by_name = self.by_name.get(name) or (candidates[0] if len(candidates) == 1 else None)
        if by_code is not None:
            if by_name is not None and by_name is not by_code:
                self.issues.error(row.number, self.header.label(label_code),
                                  f"统一社会信用代码{code}属于系统中的“{by_code.name}”，与本行企业名称“{name}”（系统中另有此企业）不一致。")
                return False, None
            return True, by_code
        if len(candidates) > 1 and by_name is None:
            names = "、".join(e.name for e in candidates[:5])
            self.issues.error(row.number, self.header.label("ent.name"),
                              f"企业名称“{name}”与系统中多家企业相近（{names}），请填写统一社会信用代码或企业全称以区分。")
            return False, None
        if by_name is not None:
            if code and by_name.credit_code and by_name.credit_code != code:
                self.issues.error(row.number, self.header.label(label_code),
                                  f"系统中“{by_name.name}”的统一社会信用代码为{by_name.credit_code}，与本行的{code}不一致。")
                return False, None
            return True, by_name
        return True, None

    def similar(self, key):
        """An enterprise whose matching name contains this one or is contained in it (≥4 chars)."""
        if len(key) < 4:
            return None
        if self._grams is None:  # bigram → keys holding it; and first bigram → keys
            self._grams, self._heads = defaultdict(set), defaultdict(set)
            for other in self.by_key:
                if len(other) >= 4:
                    self._heads[other[:2]].add(other)
                    for i in range(len(other) - 1):
                        self._grams[other[i:i + 2]].add(other)
        candidates = set(self._grams.get(key[:2], ()))  # keys that may contain this one
        for i in range(len(key) - 1):
            candidates |= self._heads.get(key[i:i + 2], set())  # keys this one may contain
        for other in sorted(candidates):
            if other != key and (other in key or key in other):
                return self.by_key[other][0]
        return None

    def _same_row_again(self, row, ent_plan, key, code):
        """The enterprise already met in an earlier row: True when this row may join it."""
        issues, header, values = self.issues, self.header, row.values
        other_code = ent_plan.values.get("credit_code")
        existing = ent_plan.existing
        if code and other_code and code != other_code:
            issues.error(row.number, header.label("ent.credit_code"),
                         f"企业“{values['name']}”在第{ent_plan.row}行的统一社会信用代码为{other_code}，与本行不一致。")
            return False
        if ent_plan.key != key and code:
            issues.error(row.number, header.label("ent.name"),
                         f"统一社会信用代码{code}在第{ent_plan.row}行对应“{ent_plan.name}”，与本行企业名称不一致。")
            return False
        if code and existing is not None and existing.credit_code and existing.credit_code != code:
            issues.error(row.number, header.label("ent.credit_code"),
                         f"系统中“{existing.name}”的统一社会信用代码为{existing.credit_code}，与本行的{code}不一致。")
            return False
        if code and code in self.by_code and self.by_code[code] is not existing:
            issues.error(row.number, header.label("ent.credit_code"),
                         f"统一社会信用代码{code}属于系统中的“{self.by_code[code].name}”，与本行企业名称不一致。")
            return False
        if row.name_origin != ent_plan.rows[0].name_origin:
            issues.warn(row.number, header.label("ent.name"),
                        f"企业“{values['name']}”在第{ent_plan.row}行已出现，两行的人员合并导入。",
                        key=("dup", ent_plan.row, row.number))
        for fld, value in values.items():
            ent_plan.values.setdefault(fld, value)
        return True

    def _new_enterprise_plan(self, plan, row, key):
        ok, existing = self.match_enterprise(row)
        if not ok:
            return None
        values = row.values
        ent_plan = EnterprisePlan(row=row.number, name=values["name"], key=key, existing=existing, values=dict(values))
        plan.enterprises.append(ent_plan)
        if existing is None:
            twin = self.similar(key)
            if twin is not None:
                self.issues.warn(row.number, self.header.label("ent.name"),
                                 f"“{values['name']}”与系统中的“{twin.name}”名称相近，可能是同一企业；如是，请使用相同名称或填写统一社会信用代码。")
        return ent_plan

    def _missing_roles(self, row, ent_plan):
        for role in ROLE_ORDER:
            if self.header.has(f"{role}.name") and not row.people.get(role) and role not in ent_plan.people:
                hint = "（CSV文件没有合并单元格信息：若原表此格为合并单元格，请逐行填写或改用Excel文件导入）" \
                    if self.kind == "csv" else ""
                if ent_plan.existing is not None and self.active[ent_plan.existing.id][role]:
                    message = f"未填写{ASSIGNMENT_ROLES[role]}，保留系统中现有的包联关系。{hint}"
                else:
                    message = f"未填写{ASSIGNMENT_ROLES[role]}。{hint}"
                self.issues.warn(row.number, self.header.label(f"{role}.name"), message, key=("norole", row.number, role))

    def plan(self, rows, header):
        self.header = header
        plan = Plan()
        by_file_key, by_file_code = {}, {}
        name_phones = defaultdict(set)
        for row in rows:
            for people in row.people.values():
                for p in people:
                    if p.phone:
                        name_phones[p.name].add(p.phone)
        persons = {}
        for row in rows:
            key = self.key(row.values["name"])
            code = row.values.get("credit_code")
            ent_plan = (by_file_code.get(code) if code else None) or by_file_key.get(key)
            if ent_plan is not None:
                if not self._same_row_again(row, ent_plan, key, code):
                    continue
            else:
                ent_plan = self._new_enterprise_plan(plan, row, key)
                if ent_plan is None:
                    continue
            if code:
                by_file_code[code] = ent_plan
            by_file_key[key] = ent_plan
            ent_plan.rows.append(row)
            for role, people in row.people.items():
                planned = ent_plan.people.setdefault(role, []) if people else None
                for person in people:
                    pp = self.resolve_person(person, role, row, persons, name_phones)
                    if pp is not None and pp not in planned:
                        planned.append(pp)
            self._missing_roles(row, ent_plan)
        if self.issues.errors:
            return plan
        plan.persons = list(persons.values())
        self._diff_enterprises(plan)
        self._diff_people(plan)
        self._diff_assignments(plan)
        return plan

    # -- officers --
    def _phone_of(self, person, role, row, name_phones):
        """The person's phone, or the one phone the file gives this name elsewhere; False: ambiguous."""
        if person.phone is not None:
            return person.phone
        phones = name_phones.get(person.name, set())
        if len(phones) == 1:
            return next(iter(phones))  # the same person, phone given in another row
        if len(phones) > 1:
            self.issues.error(row.number, self.header.label(f"{role}.name"),
                              f"表中有{len(phones)}位“{person.name}”（电话不同），本行未填电话，无法确定是哪一位。",
                              key=("which", row.number, person.name))
            return False
        return None

    def _match_officer(self, plan, role, row):
        """Find the existing officer for a new :class:`PersonPlan`; False when it cannot be told."""
        same_name = self.officers_by_name.get(plan.name, [])
        if plan.phone:
            exact = [o for o in same_name if o.phone == plan.phone]
            blank = [o for o in same_name if not o.phone]
            if exact:
                plan.existing = min(exact, key=lambda o: o.id)
            elif len(blank) == 1:
                plan.existing = blank[0]
                plan.updates["phone"] = (None, plan.phone)
            elif same_name:
                self.issues.warn(row.number, self.header.label(f"{role}.name"),
                                 f"系统中已有同名服务官“{plan.name}”（电话不同），将按电话{plan.phone}作为另一人新建。",
                                 key=("homonym", plan.name, plan.phone))
        elif len(same_name) == 1:
            plan.existing = same_name[0]
        elif len(same_name) > 1:
            self.issues.error(row.number, self.header.label(f"{role}.name"),
                              f"系统中有{len(same_name)}名服务官叫“{plan.name}”，请填写联系电话以区分。")
            return False
        return True

    def resolve_person(self, person, role, row, persons, name_phones):
        phone = self._phone_of(person, role, row, name_phones)
        if phone is False:
            return None
        key = (person.name, phone)
        plan = persons.get(key)
        if plan is None:
            plan = PersonPlan(name=person.name, phone=phone, rank=RANKS[role], row=row.number)
            if not self._match_officer(plan, role, row):
                return None
            persons[key] = plan
        plan.roles.add(role)
        for attr in ("title", "unit", "email"):
            value = getattr(person, attr)
            if not value:
                continue
            current = getattr(plan, attr)
            if current is None:
                setattr(plan, attr, value)
            elif current != value:
                self.issues.warn(row.number, self.header.label(f"{role}.{attr}"),
                                 f"{person.name}的{OFFICER_FIELD_LABELS[attr]}在第{plan.row}行为“{current}”，本行为“{value}”，按第{plan.row}行导入。",
                                 key=("conflict", person.name, attr, value))
        return plan

    # -- the differences --
    def _diff_enterprises(self, plan):
        for ep in plan.enterprises:
            ent = ep.existing
            if ent is None:
                plan.changes.append({"action": "create", "kind": "enterprise", "row": ep.row,
                                     "text": f"新增企业：{ep.name}" + (f"（{ep.values['credit_code']}）" if ep.values.get("credit_code") else "")})
                continue
            for fld, value in ep.values.items():
                old = getattr(ent, fld)
                if fld == "name":
                    if value == old or self.key(value) == self.key(old):
                        continue  # matched by name: the stored full name is kept
                    if value in self.by_name and self.by_name[value] is not ent:
                        self.issues.error(ep.row, self.header.label("ent.name"), f"企业名称“{value}”已被系统中另一家企业使用。")
                        continue
                    self.issues.warn(ep.row, self.header.label("ent.name"),
                                     f"按统一社会信用代码匹配到“{old}”，企业名称将改为“{value}”。")
                if fld == "credit_code" and old and old != value:
                    continue  # conflicts were refused while matching
                if old != value:
                    ep.updates[fld] = (old, value)
            if ep.updates:
                detail = "；".join(f"{FIELD_LABELS[f]}：{o or '（空）'} → {n}" for f, (o, n) in ep.updates.items())
                plan.changes.append({"action": "update", "kind": "enterprise", "row": ep.row,
                                     "text": f"更新企业：{ent.name}（{detail}）"})

    def _diff_people(self, plan):
        for pp in plan.persons:
            if pp.existing is None:
                pp.login = gets_login(pp, self.logins)
                where = position(pp.unit, pp.title)
                plan.changes.append({"action": "create", "kind": "officer", "row": pp.row,
                                     "text": f"新增服务官：{pp.label}" + (f"，{where}" if where else "")
                                     + ("，并开通登录账号" if pp.login else "")})
                continue
            officer = pp.existing
            pp.title = title_without_unit(pp.title, pp.unit or officer.unit)  # the unit is kept apart
            for attr in ("title", "unit", "email"):
                value, old = getattr(pp, attr), getattr(officer, attr)
                if attr == "email" and value and old and value != old.lower():
                    self.issues.warn(pp.row, self.header.label("chief.email") or self.header.label("liaison.email"),
                                     f"服务官{officer.name}在系统中的电子邮箱为{old}，未按名册改为{value}（如需修改请在服务官信息中修改）。",
                                     key=("email", officer.id))
                elif value and value != old:
                    pp.updates[attr] = (old, value)
            if not officer.active:
                self.issues.warn(pp.row, "", f"服务官{officer.name}在系统中为“不在岗”，仍按名册建立包联关系，请核对。",
                                 key=("inactive", officer.id))
            if pp.updates:
                detail = "；".join(f"{OFFICER_FIELD_LABELS[f]}：{o or '（空）'} → {n}" for f, (o, n) in pp.updates.items())
                plan.changes.append({"action": "update", "kind": "officer", "row": pp.row,
                                     "text": f"更新服务官：{officer.name}（{detail}）"})

    def _diff_assignments(self, plan):
        for ep in plan.enterprises:
            for role in ROLE_ORDER:
                wanted = ep.people.get(role)
                if not wanted:
                    continue  # column absent or cell empty: existing assignments stay
                current = self.active[ep.existing.id][role] if ep.existing is not None else []
                current_ids = {a.officer_id for a in current}
                wanted_ids = {pp.existing.id for pp in wanted if pp.existing is not None}
                label = ASSIGNMENT_ROLES[role]
                names = "、".join(pp.name for pp in wanted)
                for a in current:
                    if a.officer_id not in wanted_ids:
                        officer = self.officer_by_id.get(a.officer_id)
                        reason = f"名册导入调整：{label}改为{names}（{self.filename}）"[:200]
                        plan.ends.append((a, reason, ep, role))
                        plan.changes.append({"action": "end", "kind": "assignment", "row": ep.row,
                                             "text": f"结束包联：{ep.existing.name} — {officer.name if officer else a.officer_id}（{label}）"})
                for pp in wanted:
                    if pp.existing is not None and pp.existing.id in current_ids:
                        continue
                    plan.creates.append((ep, pp, role))
                    plan.changes.append({"action": "create", "kind": "assignment", "row": ep.row,
                                         "text": f"新增包联：{ep.existing.name if ep.existing else ep.name} — {pp.name}（{label}）"})


def count_plan(plan, report):
    report["created"]["enterprise"] = sum(1 for ep in plan.enterprises if ep.existing is None)
    report["updated"]["enterprise"] = sum(1 for ep in plan.enterprises if ep.existing is not None and ep.updates)
    report["created"]["officer"] = sum(1 for pp in plan.persons if pp.existing is None)
    report["updated"]["officer"] = sum(1 for pp in plan.persons if pp.existing is not None and pp.updates)
    report["created"]["assignment"] = len(plan.creates)
    report["ended"]["assignment"] = len(plan.ends)


def incomplete(plan, login_emails):
    """The officers of the roster who will have no e-mail (so no mail reminders) or no unit, in
    row order; ``login_emails``: officer id → the deliverable address of their login."""
    out = []
    for pp in sorted(plan.persons, key=lambda p: p.row):
        officer = pp.existing
        has_email = pp.email or (officer is not None and (officer.email or login_emails.get(officer.id)))
        has_unit = pp.unit or (officer is not None and officer.unit)
        missing = [m for m, ok in (("email", has_email), ("unit", has_unit)) if not ok]
        if missing:
            out.append({"row": pp.row, "name": pp.name, "phone": pp.phone or "", "new": officer is None,
                        "missing": missing})
    return out

