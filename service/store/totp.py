"""Time-based one-time codes, the second factor of a token (RFC 6238 through pyotp).

HMAC-SHA-1, 6 digits, 30-second steps: what every authenticator app reads from an
`otpauth://totp/...` URI. A code is good for its own step and one step either side (clocks
drift); that it is used only once is the token store's business (service/store/tokens.py).
"""

from __future__ import annotations

import hmac
import re
import time

import pyotp

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1  # the previous and the next step are accepted too
ISSUER = "rekap"
# ASCII digits only: str.isdigit() would take "١٢٣٤٥٦" or superscripts too.
CODE_FORMAT = re.compile(r"[0-9]{6}")


def new_secret() -> str:
    """A fresh secret: 160 random bits (RFC 4226's recommended length), in base32."""
    return pyotp.random_base32(length=32)


def otpauth_uri(secret: str, account: str) -> str:
    """The URI an authenticator app takes (as text or as a QR code)."""
    return _totp(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def is_well_formed(code: str) -> bool:
    return CODE_FORMAT.fullmatch(code) is not None


def step_at(moment: float) -> int:
    """The number of the 30-second step that `moment` (Unix seconds) falls in."""
    return int(moment // STEP_SECONDS)


def code_for_step(secret: str, step: int) -> str:
    return _totp(secret).generate_otp(step)


def matching_steps(secret: str, code: str, now: float | None = None) -> list[int]:
    """The steps within the drift window whose code is `code`, oldest first (usually one)."""
    if not is_well_formed(code):
        return []
    current = step_at(time.time() if now is None else now)
    window = range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1)
    return [step for step in window if hmac.compare_digest(code_for_step(secret, step), code)]


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
