"""Content-addressed storage: every file kept once, named by its SHA-256.

Layout: ``FILE_STORE_DIR/ab/cd/<sha256>`` (default ``<instance>/files``; point the setting at a
shared volume when several web or worker machines run). Uploads are streamed to a temporary
file in ``FILE_STORE_DIR/tmp`` while they are hashed and counted, checked by the caller, then
moved into place with one atomic rename; the same bytes uploaded again land on the file that
is already there. Nothing here knows owners, users or the database — that is ``rules``.
"""
import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass

from flask import current_app

CHUNK = 64 * 1024
_SHA = re.compile(r"^[0-9a-f]{64}$")


class TooLarge(Exception):
    """The stream went past ``max_bytes``; nothing was kept."""


def root():
    """The store's folder: setting ``FILE_STORE_DIR``, else ``<instance>/files``."""
    return current_app.config.get("FILE_STORE_DIR") or os.path.join(current_app.instance_path, "files")


def path_for(sha256):
    """``root/ab/cd/<sha256>`` — only for a well-formed lower-case hex digest."""
    if not isinstance(sha256, str) or not _SHA.match(sha256):
        raise ValueError("not a SHA-256 hex digest")
    return os.path.join(root(), sha256[:2], sha256[2:4], sha256)


@dataclass
class Incoming:
    """An upload written to a temporary file, hashed and counted, not yet kept."""

    path: str
    sha256: str
    size: int


def receive(stream, max_bytes=None):
    """Copy a binary stream (or bytes) to a temporary file; :class:`TooLarge` past ``max_bytes``."""
    if isinstance(stream, (bytes, bytearray)):
        stream = io.BytesIO(stream)
    tmp_dir = os.path.join(root(), "tmp")
    os.makedirs(tmp_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=tmp_dir, prefix="up-")
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise TooLarge(size)
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        os.unlink(tmp)
        raise
    return Incoming(tmp, digest.hexdigest(), size)


def keep(incoming):
    """Move the upload into place (once per content) and return its SHA-256."""
    dest = path_for(incoming.sha256)
    if os.path.exists(dest):
        discard(incoming)
    else:
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        os.chmod(incoming.path, 0o640)
        os.replace(incoming.path, dest)  # atomic; a concurrent twin writes the same bytes
    return incoming.sha256


def discard(incoming):
    try:
        os.unlink(incoming.path)
    except FileNotFoundError:
        pass


def put(data):
    """Keep bytes or a stream with no checks (generated documents); returns (sha256, size)."""
    incoming = receive(data)
    return keep(incoming), incoming.size


def exists(sha256):
    return os.path.isfile(path_for(sha256))


def open_content(sha256):
    """The stored content as a binary file; FileNotFoundError when it is missing on disk."""
    return open(path_for(sha256), "rb")


def digest_of(sha256):
    """Re-hash the stored content (for ``files-check``)."""
    digest = hashlib.sha256()
    with open_content(sha256) as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def stored_digests():
    """Every content file on disk, by its name (temporary uploads excluded)."""
    base = root()
    if not os.path.isdir(base):
        return
    for first in sorted(os.listdir(base)):
        if len(first) != 2:
            continue
        for dirpath, _dirs, files in os.walk(os.path.join(base, first)):
            for name in files:
                if _SHA.match(name):
                    yield name
