"""Evidence files (photos and PDFs of form pages), stored content-addressed by SHA-256.

A file is written to a temporary name, fsynced and renamed into place, so a reader never sees a
half-written file and a crash leaves at most a stray temporary file. The same bytes uploaded twice
are one file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from domain.errors import InvalidInput, NotFound

MAX_BYTES = 10 * 1024 * 1024
SHA256 = re.compile(r"^[0-9a-f]{64}$")

# Media types recognised by their first bytes (the declared Content-Type is not trusted).
MEDIA_TYPES: dict[str, str] = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WebP",
    "application/pdf": "PDF",
}


class TooLarge(InvalidInput):
    code = "payload_too_large"


class UnsupportedMedia(InvalidInput):
    code = "unsupported_media_type"


def sniff(head: bytes) -> str | None:
    """The media type of a file from its magic bytes, or None if it is not one we keep."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


@dataclass(frozen=True)
class StoredEvidence:
    sha256: str
    size: int
    media_type: str
    created: bool

    def to_dict(self) -> dict[str, object]:
        return {"sha256": self.sha256, "size": self.size, "media_type": self.media_type}


class EvidenceStore:
    """A directory of files named by their SHA-256 (`ab/cd/abcd...`)."""

    def __init__(self, root: Path, max_bytes: int = MAX_BYTES) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:4] / digest

    def exists(self, digest: str) -> bool:
        return bool(SHA256.match(digest)) and self.path(digest).is_file()

    def put(self, data: bytes) -> StoredEvidence:
        """Store the bytes of one page; TooLarge or UnsupportedMedia if it cannot be evidence."""
        if len(data) > self.max_bytes:
            raise TooLarge(f"evidence is at most {self.max_bytes // (1024 * 1024)} MiB")
        media_type = sniff(data[:16])
        if media_type is None:
            raise UnsupportedMedia(f"evidence must be one of {', '.join(MEDIA_TYPES.values())}")
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.is_file():
            return StoredEvidence(digest, len(data), media_type, created=False)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _fsync_directory(target.parent)
        return StoredEvidence(digest, len(data), media_type, created=True)

    def open(self, digest: str) -> tuple[Path, str]:
        """The file of a digest and its media type, or NotFound."""
        if not self.exists(digest):
            raise NotFound(f"no evidence {digest}")
        path = self.path(digest)
        with path.open("rb") as f:
            media_type = sniff(f.read(16)) or "application/octet-stream"
        return path, media_type


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX: the directory entry lives in the directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
