"""Writing a plan: enterprises, officers (with their logins) and assignments, in the caller's
transaction (flushed here, committed by :func:`app.roster.import_roster`).

A changed chief or liaison ends the old assignment (end date, reason) and starts a new one;
nothing is deleted. New officers get an Officer login through :func:`app.accounts.create_login`
(the one way logins are made) when the import's ``logins`` choice covers them: a generated
initial password that must be changed at the first login, and the officer's e-mail from the
roster (else no deliverable address).
"""
import re

from sqlalchemy import func, select

from .. import accounts, db
from ..masterdata import RuleError, end_assignment
from ..models import Assignment, Enterprise, Officer, User
from .report import ApplyError


def _username(pp, taken):
    """"o" + the mobile number, else "officer" + the officer id; "-2", "-3"… when taken."""
    digits = re.sub(r"\D", "", pp.phone or "")
    if len(digits) == 11 and digits.startswith("1"):
        base = f"o{digits}"
    elif pp.officer is not None and pp.officer.id is not None:
        base = f"officer{pp.officer.id:05d}"
    else:
        return None
    name, n = base, 1
    while name.lower() in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name.lower())
    return name


class _Logins:
    """The new logins of one import, checked as a batch (usernames and e-mails read once)."""

    def __init__(self):
        from ..demo import random_password

        self.random_password = random_password
        self.role = None
        self.usernames = {u.lower() for u in db.session.scalars(select(User.username))}
        self.emails = set(db.session.scalars(select(func.lower(User.email))))
        self.credentials = []

    def ensure_role(self):
        try:
            self.role = accounts.ensure_role("Officer")
        except accounts.AccountError as exc:
            raise ApplyError(f"无法为新服务官开通账号：{exc}") from None

    def open(self, pp):
        pp.username = pp.username or _username(pp, self.usernames)
        email = pp.email if pp.email and pp.email.lower() not in self.emails else None
        if email:
            self.emails.add(email.lower())
        password = self.random_password()
        accounts.create_login(pp.username, self.role, password, pp.name, officer=pp.officer, email=email,
                              must_change_password=True, hash_method=accounts.INITIAL_PASSWORD_HASH, checked=True)
        self.credentials.append({"name": pp.name, "unit": pp.unit or "", "title": pp.title or "",
                                 "phone": pp.phone or "", "username": pp.username, "password": password})


CHUNK_ROWS = 250  # enterprises written (and flushed) at a time; progress counts their rows


def _write_enterprises(eps):
    for ep in eps:
        if ep.existing is None:
            ep.enterprise = Enterprise(is_key=True, **ep.values)
            db.session.add(ep.enterprise)
        else:
            ep.enterprise = ep.existing
            for fld, (_, new) in ep.updates.items():
                setattr(ep.existing, fld, new)


def _write_officers(persons, logins):
    """Officers in; logins for those whose username is known now. Returns those that need the id."""
    later = []
    for pp in persons:
        if pp.existing is not None:
            pp.officer = pp.existing
            for attr, (_, new) in pp.updates.items():
                setattr(pp.existing, attr, new)
            continue
        pp.officer = Officer(name=pp.name, phone=pp.phone, title=pp.title, unit=pp.unit, email=pp.email,
                             rank=pp.rank, active=True)
        db.session.add(pp.officer)
        if not pp.login:
            continue
        pp.username = _username(pp, logins.usernames)  # "o" + mobile: known now, the login goes in the same INSERTs
        if pp.username:
            logins.open(pp)
        else:
            later.append(pp)  # "officer<id>" needs the id
    return later


def _chunks(plan):
    """The plan in slices of ``CHUNK_ROWS`` enterprises, in the file's order: each slice's
    enterprises, the officers first named in it (in the plan's order), its ended and new assignments."""
    size = max(1, CHUNK_ROWS)
    slice_of = {}
    for i, ep in enumerate(plan.enterprises):
        for people in ep.people.values():
            for pp in people:
                slice_of.setdefault(id(pp), i // size)
    for n, start in enumerate(range(0, max(len(plan.enterprises), 1), size)):
        eps = plan.enterprises[start:start + size]
        members = {id(ep) for ep in eps}
        yield (eps, [pp for pp in plan.persons if slice_of.get(id(pp), 0) == n],
               [e for e in plan.ends if id(e[2]) in members], [c for c in plan.creates if id(c[0]) in members])


def apply_plan(plan, today, progress=None):
    """Write the plan into the session (flushed, not committed). Returns the new logins.

    Written a slice of enterprises at a time (a changed assignment is ended and its successor
    started within the slice of its enterprise); ``progress(n)`` is told the file rows of each
    slice once it is flushed."""
    logins = _Logins()
    if any(pp.login for pp in plan.persons):
        logins.ensure_role()  # may create the roles (and commit) on a fresh database: before any write
    for eps, persons, ends, creates in _chunks(plan):
        with db.session.no_autoflush:
            _write_enterprises(eps)
            later = _write_officers(persons, logins)
            for assignment, reason, ep, _role in ends:
                try:
                    end_assignment(assignment, reason, max(today, assignment.start_date))
                except RuleError as exc:
                    raise ApplyError(f"第{ep.row}行：{exc}") from None
            db.session.flush()  # ended rows leave the partial unique index before the new ones arrive
            for pp in later:
                logins.open(pp)
            db.session.flush()
        if creates:  # many rows, no ids needed back: one executemany
            db.session.execute(Assignment.__table__.insert(), [
                {"enterprise_id": ep.enterprise.id, "officer_id": pp.officer.id, "role": role_name,
                 "start_date": today, "end_date": None, "status": "active", "end_reason": None}
                for ep, pp, role_name in creates])
        if progress is not None:
            progress(sum(len(ep.rows) for ep in eps))
    return logins.credentials
