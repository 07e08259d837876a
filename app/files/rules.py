"""Who may attach, read and remove files, on which owners, within which limits.

A document type that wants attachments registers an *owner kind* once::

    from app.files import register_owner
    register_owner("notice", label="交办通知单",
                   visible=lambda user, notice_id: ...,      # may this user see the owner at all?
                   may_attach=lambda user, notice_id: ...,   # may they add files to it?
                   may_remove=lambda user, notice_id, att: ...,  # optional; default: office only
                   sees_internal=lambda user: ...,           # optional; default: everyone
                   may_mark_internal=lambda user, notice_id: ...,  # optional; default: nobody
                   url=lambda notice_id: ...)                # optional; the page to come back to

Every entry point (screens, REST, CLI, tasks) goes through the functions below; they raise
:class:`FileError` with an HTTP-like status: 403 not allowed, 404 missing or out of scope,
413 too large, 422 bad input or type. An owner the user may not see answers 404, never 403.
Nothing is committed here: the caller commits its unit of work.
"""
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Optional

from flask import current_app
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..scope import role_names
from ..validation import valid_id
from ..vocab import OFFICE_ROLES
from ..workflow.errors import WorkflowError
from ..workflow.events import actor_name
from . import sniff, store
from .models import Attachment, StoredFile

MB = 1024 * 1024


class FileError(WorkflowError):
    """A refused upload or download: the kit's one error shape (status, message, field)."""


@dataclass(frozen=True)
class OwnerKind:
    name: str
    label: str
    visible: Callable
    may_attach: Callable
    may_remove: Optional[Callable] = None
    sees_internal: Optional[Callable] = None
    may_mark_internal: Optional[Callable] = None
    url: Optional[Callable] = None


OWNERS = {}


def register_owner(kind, *, label, visible, may_attach, may_remove=None, sees_internal=None,
                   may_mark_internal=None, url=None):
    """Make ``kind`` a thing files can hang on (idempotent: registering again replaces it)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,29}", kind):
        raise ValueError(f"owner kind must be a short lower-case name: {kind!r}")
    OWNERS[kind] = OwnerKind(kind, label, visible, may_attach, may_remove, sees_internal, may_mark_internal, url)
    return OWNERS[kind]


def owner_kind(kind):
    from . import owners  # noqa: F401  (the built-in kinds register on import)

    found = OWNERS.get(kind) if isinstance(kind, str) else None
    if found is None:
        raise FileError(404, "附件所属的对象不存在。")
    return found


def _is_office(user):
    return bool(role_names(user) & OFFICE_ROLES)


def _visible_owner(user, kind, owner_id):
    ok = owner_kind(kind)
    if not valid_id(owner_id) or not ok.visible(user, int(owner_id)):
        raise FileError(404, f"{ok.label}不存在或不在您的查看范围内。")
    return ok, int(owner_id)


def sees_internal(user, ok):
    return ok.sees_internal(user) if ok.sees_internal else True


def may_attach(user, kind, owner_id):
    ok = owner_kind(kind)
    return valid_id(owner_id) and ok.visible(user, int(owner_id)) and bool(ok.may_attach(user, int(owner_id)))


def may_mark_internal(user, ok, owner_id):
    return bool(ok.may_mark_internal and ok.may_mark_internal(user, owner_id))


def may_remove(user, att):
    ok = owner_kind(att.owner_kind)
    if ok.may_remove is None:
        return _is_office(user)
    return bool(ok.may_remove(user, att.owner_id, att))


# --- limits ---------------------------------------------------------------------------------------

def max_bytes():
    return int(current_app.config.get("FILE_MAX_BYTES") or 20 * MB)


def allowed_types():
    """The allow-list (setting ``FILE_ALLOWED_TYPES``), limited to what ``sniff`` can recognise."""
    value = current_app.config.get("FILE_ALLOWED_TYPES") or ()
    if isinstance(value, str):
        value = value.split(",")
    wanted = [str(v).strip().lower().lstrip(".") for v in value]
    return [t for t in wanted if t in sniff.CONTENT_TYPES]


def size_text(size):
    if size >= MB:
        return f"{size / MB:.1f}MB".replace(".0MB", "MB")
    if size >= 1024:
        return f"{size / 1024:.0f}KB"
    return f"{size}B"


def too_large():
    return FileError(413, f"文件过大：单个附件不能超过{size_text(max_bytes())}。", "file")


def types_text():
    return "、".join(dict.fromkeys(sniff.LABELS[t] for t in allowed_types()))


def clean_filename(name):
    """The last path component, without control characters, at most 200 characters; 422 if empty."""
    name = unicodedata.normalize("NFC", str(name or "")).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().lstrip(".").strip()
    if not name:
        raise FileError(422, "请选择要上传的文件。", "file")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:199 - len(ext)] + "." + ext) if dot and len(ext) <= 10 else name[:200]
    return name


def _extension(filename):
    stem, dot, ext = filename.rpartition(".")
    return ext.lower() if dot and stem else ""


def content_type_of(incoming, filename):
    """The checked content type of an upload: the name's type must be allowed and match the bytes."""
    ext = _extension(filename)
    allowed = allowed_types()
    if ext not in allowed:
        shown = f"（.{ext}）" if ext else "（文件名没有扩展名）"
        raise FileError(422, f"不支持的文件类型{shown}，只能上传：{types_text()}。", "file")
    found = sniff.kinds(incoming.path)
    if sniff.MACRO in found:
        raise FileError(422, "文件含有宏代码，出于安全考虑不予接收，请另存为不含宏的文档后上传。", "file")
    if ext not in found:
        raise FileError(422, f"文件内容与扩展名不符：它不是真正的{sniff.LABELS[ext]}文件，请检查后重新上传。", "file")
    return sniff.CONTENT_TYPES[ext]


# --- reading --------------------------------------------------------------------------------------

def _current(query, user, ok):
    query = query.where(Attachment.removed_at.is_(None))
    if not sees_internal(user, ok):
        query = query.where(Attachment.internal.is_(False))
    return query


def list_for(user, kind, owner_id):
    """The owner's current attachments the user may see, oldest first (404 when the owner is not visible)."""
    ok, owner_id = _visible_owner(user, kind, owner_id)
    query = select(Attachment).where(Attachment.owner_kind == ok.name, Attachment.owner_id == owner_id)
    return db.session.scalars(_current(query, user, ok).order_by(Attachment.id)).all()


def readable(user, attachment_id):
    """The attachment if the user may read it now; 404 for missing, removed, hidden or out of scope."""
    att = db.session.get(Attachment, int(attachment_id)) if valid_id(attachment_id) else None
    if att is not None and _known(att.owner_kind):
        ok = OWNERS[att.owner_kind]
        if (att.removed_at is None and (not att.internal or sees_internal(user, ok))
                and ok.visible(user, att.owner_id)):
            return att
    raise FileError(404, "附件不存在或不在您的查看范围内。")


def _known(kind):
    try:
        owner_kind(kind)
    except FileError:
        return False
    return True


def open_content(att):
    try:
        return store.open_content(att.sha256)
    except FileNotFoundError:
        current_app.logger.error("stored file missing: %s (attachment %s)", att.sha256, att.id)
        raise FileError(404, "附件文件已丢失，请联系管理员（可运行 flask cso files-check 检查）。") from None


# --- writing --------------------------------------------------------------------------------------

def _flag(value):
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "true", "yes", "on", "是")


def _note(value):
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    if len(text) > 200:
        raise FileError(422, "附件说明不能超过200个字。", "note")
    return text or None


def _row(kind, owner_id, sha256, size, content_type, filename, user, internal, note):
    if db.session.get(StoredFile, sha256) is None:
        db.session.add(StoredFile(sha256=sha256, size=size, content_type=content_type, created_at=clock.utcnow()))
    att = Attachment(owner_kind=kind, owner_id=owner_id, sha256=sha256, filename=filename, size=size,
                     content_type=content_type, internal=internal, note=note, created_at=clock.utcnow(),
                     created_by_id=user.id if user is not None else None, created_by_name=actor_name(user))
    db.session.add(att)
    db.session.flush()
    return att


def attach(user, kind, owner_id, filename, stream, internal=False, note=None):
    """Check, store and record one upload on an owner; returns the new Attachment (flushed)."""
    ok, owner_id = _visible_owner(user, kind, owner_id)
    if not ok.may_attach(user, owner_id):
        raise FileError(403, f"您可以查看该{ok.label}的附件，但不能上传。")
    internal = _flag(internal)
    if internal and not may_mark_internal(user, ok, owner_id):
        raise FileError(403, "您不能上传内部附件。", "internal")
    filename, note = clean_filename(filename), _note(note)
    if stream is None:
        raise FileError(422, "请选择要上传的文件。", "file")
    try:
        incoming = store.receive(stream, max_bytes=max_bytes())
    except store.TooLarge:
        raise too_large() from None
    try:
        if incoming.size == 0:
            raise FileError(422, "文件是空的，请重新选择。", "file")
        content_type = content_type_of(incoming, filename)
    except FileError:
        store.discard(incoming)
        raise
    store.keep(incoming)
    return _row(ok.name, owner_id, incoming.sha256, incoming.size, content_type, filename, user, internal, note)


def attach_generated(kind, owner_id, filename, data, actor=None, internal=False, note=None):
    """Keep a file the system made (a generated .docx, a stamped scan fetched by a task).

    No user checks and no type sniffing: the caller vouches for the content. ``actor`` is the
    user on whose behalf it was made (None: 系统)."""
    ok = owner_kind(kind)
    filename = clean_filename(filename)
    sha256, size = store.put(data)
    content_type = sniff.CONTENT_TYPES.get(_extension(filename), "application/octet-stream")
    return _row(ok.name, int(owner_id), sha256, size, content_type, filename, actor, bool(internal), _note(note))


def remove(user, attachment_id):
    """Soft delete: the row and the content stay, ``removed_at`` / ``removed_by`` are set."""
    att = readable(user, attachment_id)
    if not may_remove(user, att):
        raise FileError(403, "您不能删除该附件：只有上传人（在办理期间）或首席服务官办公室可以删除。")
    att.removed_at = clock.utcnow()
    att.removed_by_id = user.id if user is not None else None
    att.removed_by_name = actor_name(user)
    db.session.flush()
    return att


# --- shapes ----------------------------------------------------------------------------------------

def serialize(att, user=None):
    return {
        "id": att.id, "owner_kind": att.owner_kind, "owner_id": att.owner_id, "filename": att.filename,
        "size": att.size, "size_text": size_text(att.size), "content_type": att.content_type,
        "sha256": att.sha256, "internal": bool(att.internal), "note": att.note,
        "created_by": att.created_by_name, "created_at": att.created_at.isoformat(timespec="seconds"),
        "may_remove": may_remove(user, att) if user is not None else False,
    }


def check(verify=True):
    """Stored files against the disk: missing, corrupt (hash differs), orphans (on disk, no row)."""
    shas = list(db.session.scalars(select(StoredFile.sha256).order_by(StoredFile.sha256)))
    missing = [s for s in shas if not store.exists(s)]
    corrupt = [s for s in shas if verify and s not in missing and store.digest_of(s) != s]
    orphans = sorted(set(store.stored_digests()) - set(shas))
    return {"stored": len(shas), "missing": missing, "corrupt": corrupt, "orphans": orphans}
