"""Development keys created on first use: a file only its owner can read, written once."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path


def create_private_file(path: Path, content: bytes) -> bytes:
    """Write `content` to a new file at `path` (mode 0600) and return it; if a file is already
    there, leave it and return what it holds.

    The content goes to a private temporary file that is hard-linked into place, so processes
    starting together never overwrite a key another one has already used: the first link wins
    and the others read it.
    """
    path = Path(path)
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return path.read_bytes()
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    return content
