"""Tables of the file store: one row per stored content (by SHA-256), one row per attachment.

``StoredFile`` is the content, kept once however many times it is attached; ``Attachment`` is one
use of it on one owner (a problem today; notices and meetings later), with its own file name,
uploader and time. Removing an attachment is a soft delete (``removed_at``): the row and the
content stay, so the history of what was on file is never lost.

Kept free of imports from ``app.models`` (which imports this module at its end).
"""
from flask_appbuilder import Model
from sqlalchemy import BigInteger, Boolean, Column, DateTime, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import relationship

from ..clock import utcnow


class StoredFile(Model):
    """Content under ``FILE_STORE_DIR/ab/cd/<sha256>``, written once."""

    __tablename__ = "stored_file"
    sha256 = Column(String(64), primary_key=True)
    size = Column(BigInteger, nullable=False)
    content_type = Column(String(100), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class Attachment(Model):
    """A file on an owner (``owner_kind`` + ``owner_id``, e.g. ``issue`` 12)."""

    __tablename__ = "attachment"
    id = Column(Integer, primary_key=True)
    owner_kind = Column(String(30), nullable=False)
    owner_id = Column(Integer, nullable=False)
    sha256 = Column(String(64), ForeignKey("stored_file.sha256"), nullable=False, index=True)
    filename = Column(String(255), nullable=False)
    size = Column(BigInteger, nullable=False)
    content_type = Column(String(100), nullable=False)
    note = Column(String(200))
    internal = Column(Boolean, nullable=False, default=False, server_default=text("false"))
    created_by_id = Column(Integer, ForeignKey("ab_user.id"))
    created_by_name = Column(String(100), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    removed_at = Column(DateTime)
    removed_by_id = Column(Integer, ForeignKey("ab_user.id"))
    removed_by_name = Column(String(100))

    stored = relationship("StoredFile")
    created_by = relationship("User", foreign_keys=[created_by_id])
    removed_by = relationship("User", foreign_keys=[removed_by_id])

    __table_args__ = (Index("ix_attachment_owner", "owner_kind", "owner_id"),)
