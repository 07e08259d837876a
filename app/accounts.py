"""Logins that *are* someone: an officer, a department's clerk, an enterprise's contact.

:func:`create_login` is the one way a login is made — by ``flask cso create-login``, by the
roster import for new officers and by the demo seeder — so that every login gets the same
e-mail rule and the same first-login rule:

* **E-mail.** FAB's ``ab_user.email`` is ``NOT NULL UNIQUE`` (FAB 5.3, and migration 0001), so a
  login without a known address cannot leave it empty. It gets the person's real address when
  one is known (given, or the linked officer's), else the marker ``<username>@no-email.invalid``
  (the ``.invalid`` top-level domain is reserved never to resolve, RFC 2606). Every mail path
  must read addresses through :func:`mail_address`, which answers None for the marker (and for
  the ``@cso.local`` placeholders earlier versions wrote), never ``user.email`` directly.
* **First login.** ``must_change_password=True`` writes the :class:`~app.models.AccountState`
  flag that :mod:`app.security` enforces (no page and no API token until the password is
  changed). Every password someone else hands to the holder needs it: the import's generated
  passwords and the CLI's typed ones. Only a password the holder chose, or the demo district's
  published one, goes without.
"""
import re

from flask import current_app
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from . import db
from .models import AccountState, Department, DepartmentUser, Enterprise, EnterpriseUser, Officer
from .security import password_complexity
from .vocab import LINKED_ROLES

LINK_REQUIRED = LINKED_ROLES  # a login of these roles acts for an officer, a department or an enterprise
NO_EMAIL_DOMAIN = "no-email.invalid"
LEGACY_NO_EMAIL_DOMAINS = ("cso.local",)  # what earlier versions wrote for logins without an address
# Initial passwords the import generates are random (≈60 bits) and must be changed at the first
# login, where FAB hashes the new one with its slow default (scrypt, ≈0.25 s here). A slow hash
# for a random, single-use secret would make a roster with hundreds of new officers take minutes.
INITIAL_PASSWORD_HASH = "pbkdf2:sha256:1000"


EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
EMAIL_MAX_LEN = 120  # Officer.email (FAB's ab_user.email takes 320)


class AccountError(Exception):
    """The login cannot be created; ``str(exc)`` is the Chinese message."""


def valid_email(address):
    """Is this a well-formed address one could send mail to?"""
    return bool(address) and len(address) <= EMAIL_MAX_LEN and bool(EMAIL.match(address))


def placeholder_email(username):
    """The marker stored for a login without a known address (FAB needs a unique, non-empty one)."""
    return f"{username.lower()}@{NO_EMAIL_DOMAIN}"


def mail_address(user_or_address):
    """The address mail may be sent to (a user or an address), or None: empty, or a marker that
    can never receive mail."""
    address = getattr(user_or_address, "email", user_or_address)
    address = (address or "").strip()
    if "@" not in address:
        return None
    domain = address.rpartition("@")[2].lower()
    if domain == NO_EMAIL_DOMAIN or domain in LEGACY_NO_EMAIL_DOMAINS:
        return None
    return address


def ensure_role(name):
    """The FAB role, created with every declared role by :func:`app.roles.sync_roles` when the
    database has none yet (right after ``flask db upgrade``). sync_roles commits: call this
    before writing anything else."""
    from .roles import ALL_ROLES, sync_roles

    sm = current_app.appbuilder.sm
    role = sm.find_role(name)
    if role is None and name in ALL_ROLES:
        try:
            sync_roles()
        except RuntimeError:
            db.session.rollback()
        role = sm.find_role(name)
    if role is None:
        raise AccountError(f"系统中缺少“{name}”角色，请先运行 flask cso sync-roles。")
    return role


def _check(username, password, role_name, email, officer, department_id, enterprise_id, names=()):
    """The checks of a single creation (the import checks its batch itself)."""
    sm = current_app.appbuilder.sm
    if not username or sm.find_user(username=username):
        raise AccountError(f"账号{username}已存在。" if username else "账号不能为空。")
    try:
        password_complexity(password, [username, *names])  # not the holder's own username or name
    except PasswordComplexityValidationError as exc:
        raise AccountError(str(exc)) from None
    links = {"officer_id": officer, "department_id": department_id, "enterprise_id": enterprise_id}
    needed = LINK_REQUIRED.get(role_name)
    if needed and not links[needed]:
        raise AccountError(f"{role_name}角色的账号必须关联对象（--{needed.split('_')[0]}）。")
    if officer is not None and officer.user_id:
        raise AccountError(f"服务官{officer.name}已关联账号。")
    if department_id and db.session.get(Department, department_id) is None:
        raise AccountError(f"责任单位 id {department_id} 不存在。")
    if enterprise_id and db.session.get(Enterprise, enterprise_id) is None:
        raise AccountError(f"企业 id {enterprise_id} 不存在。")
    if email and not valid_email(email):
        raise AccountError(f"电子邮箱“{email}”格式不正确。")
    if email and sm.find_user(email=email):
        raise AccountError(f"电子邮箱{email}已被其他账号使用。")


def _officer(officer, officer_id):
    if officer is not None or not officer_id:
        return officer
    found = db.session.get(Officer, officer_id)
    if found is None:
        raise AccountError(f"服务官 id {officer_id} 不存在。")
    return found


def _free_email(address):
    """A real address no other login uses yet, else None (the marker is used instead)."""
    address = mail_address(address)
    if address and current_app.appbuilder.sm.find_user(email=address) is None:
        return address
    return None


NAME_PART = 64  # FAB 5.3: ab_user.first_name and last_name are VARCHAR(64) each
SHOWN_NAME = 100  # what a history keeps of an actor's name (events' actor_name, files' created_by_name)


def display_names(name, username, enterprise_id=None, first_name=None, last_name=None):
    """(first_name, last_name) of a new login. The portal shows a login as first_name + last_name, and
    the Chinese screens label them 姓 and 名 (app/translations): a person's surname comes first. An
    enterprise's login is the enterprise (issue 9): its full name, not cut short — split over the two
    columns (FAB requires both, 64 characters each; 100 in all, what a history keeps), so it reads
    whole wherever it is shown."""
    if enterprise_id and not (first_name or last_name):
        ent = db.session.get(Enterprise, enterprise_id)
        if ent is not None and ent.name:
            full = ent.name[:SHOWN_NAME]
            cut = max(1, min(NAME_PART, (len(full) + 1) // 2))
            return full[:cut], full[cut:]
    display = (name or username or "").strip()
    first = first_name or display[:1]
    last = last_name if last_name is not None else ("" if first_name else display[1:])
    return first[:NAME_PART], (last or "")[:NAME_PART]


def create_login(username, role, password, name=None, officer_id=None, department_id=None, enterprise_id=None, *,
                 officer=None, email=None, first_name=None, last_name=None, must_change_password=False,
                 hash_method=None, checked=False, commit=True):
    """Create a login (see the module docstring for its e-mail and first-login rules).

    ``role``: a role name or FAB role. ``officer`` / ``officer_id``, ``department_id``,
    ``enterprise_id``: what the login acts for. ``email``: the person's real address, if known.
    ``checked=True``: the caller has checked username, password, links and e-mail uniqueness for
    a whole batch (the roster import): no query, no flush and no commit here, so that hundreds of
    logins go in one flush. ``hash_method``: FAB's configured method unless given.
    Returns the user, added to the session (and committed when ``commit``)."""
    sm = current_app.appbuilder.sm
    role = ensure_role(role) if isinstance(role, str) else role
    officer = _officer(officer, officer_id)
    if not checked:
        _check(username, password, role.name, (email or "").strip() or None, officer, department_id, enterprise_id,
               names=[n for n in (name, first_name, last_name, getattr(officer, "name", None)) if n])
        email = mail_address(email) or _free_email(getattr(officer, "email", None))
    user = sm.user_model()
    user.first_name, user.last_name = display_names(name, username, enterprise_id, first_name, last_name)
    user.username = username
    user.email = mail_address(email) or placeholder_email(username)
    user.active = True
    user.roles = [role]
    user.password = generate_password_hash(
        password, method=hash_method or current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
        salt_length=current_app.config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16))
    db.session.add(user)
    if must_change_password:
        db.session.add(AccountState(user=user, failed_logins=0, must_change_password=True))
    if officer is not None:
        officer.user = user
    if department_id:
        db.session.add(DepartmentUser(user=user, department_id=department_id))
    if enterprise_id:
        db.session.add(EnterpriseUser(user=user, enterprise_id=enterprise_id))
    if not checked:
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            raise AccountError(f"创建账号{username}失败：账号或电子邮箱与已有账号重复。") from None
        if commit:
            db.session.commit()
    return user
