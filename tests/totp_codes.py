"""An authenticator app for tests: the code of an `otpauth://totp/` URI at a moment, computed
here from RFC 6238 with hmac (not with the library the product uses), as a phone would."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
from urllib.parse import parse_qs, urlparse


def secret_of(uri: str) -> bytes:
    parsed = urlparse(uri)
    assert (parsed.scheme, parsed.netloc) == ("otpauth", "totp"), uri
    query = parse_qs(parsed.query)
    assert query.get("algorithm", ["SHA1"]) == ["SHA1"]
    assert query.get("digits", ["6"]) == ["6"] and query.get("period", ["30"]) == ["30"]
    text = query["secret"][0].upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def code_at_step(key: bytes, step: int, digits: int = 6) -> str:
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def code_now(uri: str, steps_ahead: int = 0) -> str:
    """The code the app shows now (or `steps_ahead` steps of 30 s later)."""
    return code_at_step(secret_of(uri), int(time.time() // 30) + steps_ahead)


def wrong_code(uri: str) -> str:
    """A well-formed code that no step near now has."""
    key, step = secret_of(uri), int(time.time() // 30)
    near = {code_at_step(key, s) for s in range(step - 3, step + 4)}
    return next(c for c in (f"{n:06d}" for n in range(0, 10**6, 7919)) if c not in near)
