"""Bearer-token authentication, its second factor, and the access rule every route must declare
(as Arlo does)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, g, request

from domain.access import Actor, Role
from domain.errors import Forbidden
from service.store.tokens import (
    ATTEMPTS_PER_STEP,
    FREE_FAILURES,
    CodeCheck,
    CodesThrottled,
    TokenStore,
)
from service.store.totp_key import SecretUnreadable

F = TypeVar("F", bound=Callable[..., Any])
ACCESS_ATTRIBUTE = "rekap_access_rule"
OTP_HEADER = "X-OTP"

log = logging.getLogger("rekap.api")

# The OpenAPI document's schemes. A write takes the bearer token alone, or with X-OTP when the
# token was created with a second factor (`rekap token create --totp`).
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer"},
    "otp": {
        "type": "apiKey",
        "in": "header",
        "name": OTP_HEADER,
        "description": (
            "The current 6-digit code (RFC 6238: HMAC-SHA-1, 30 s steps; the previous and the "
            "next step are accepted too) of the authenticator app holding the token's second "
            "factor. Needed, with the bearer token, by every write of a token created with "
            "`rekap token create --totp`; ignored for other tokens. Each code counts once per "
            "token. 401 `otp_required`: no code; 401 `otp_invalid`: a code that is not six "
            "ASCII digits, not the current one, or used already (the detail says which); 429 "
            f"`too_many_requests` with Retry-After: more than {ATTEMPTS_PER_STEP} codes in one "
            f"30 s step, or {FREE_FAILURES} wrong codes in a row (each further wrong one "
            "doubles the wait)."
        ),
    },
}
UNAUTHORIZED_DESCRIPTION = (
    "`unauthenticated`: no bearer token, or an unknown or revoked one; for a token with a "
    f"second factor, `otp_required`: no {OTP_HEADER} code, `otp_invalid`: a wrong code or one "
    "used already"
)
WRITE_SECURITY = [{"bearer": []}, {"bearer": [], "otp": []}]


class Unauthenticated(Exception):
    """No token, or a token that is unknown or revoked."""

    code = "unauthenticated"


class SecondFactorRequired(Unauthenticated):
    """A token with a second factor, and no code."""

    code = "otp_required"


class SecondFactorInvalid(Unauthenticated):
    """A code that is not the token's current one, or was used already."""

    code = "otp_invalid"


class SecondFactorThrottled(Exception):
    """Too many codes tried for this token (429 with Retry-After)."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


def public(view: F) -> F:
    """Anyone may call this route, with or without a token."""
    setattr(view, ACCESS_ATTRIBUTE, "public")
    return view


def requires(*roles: Role) -> Callable[[F], F]:
    """Only a valid token of one of these roles; the scope is checked by the service layer."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            actor = current_actor()
            if roles and actor.role not in roles:
                needed = ", ".join(r.value for r in roles)
                raise Forbidden(f"role {actor.role} may not do this; it needs {needed}")
            return view(*args, **kwargs)

        setattr(wrapper, ACCESS_ATTRIBUTE, "roles:" + ",".join(r.value for r in roles))
        return wrapper  # type: ignore[return-value]

    return decorate


def current_actor() -> Actor:
    """The actor of the request's bearer token, or Unauthenticated.

    Every route that needs a token is a write (reads are public), so a token with a second
    factor needs its code here, once per request, for every write: certifying, reopening and
    recording a result in plenary included.
    """
    if "actor" in g:
        return g.actor
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("this call needs 'Authorization: Bearer <token>'")
    tokens: TokenStore = current_app.extensions["rekap"].tokens
    credential = tokens.credential_for(token.strip())
    if credential is None:
        raise Unauthenticated("the token is unknown or revoked")
    if credential.second_factor:
        _check_second_factor(tokens, credential.actor.id)
    g.actor = credential.actor
    return credential.actor


def _check_second_factor(tokens: TokenStore, token_id: str) -> None:
    code = request.headers.get(OTP_HEADER, "").strip()
    if not code:
        raise SecondFactorRequired(
            f"this token has a second factor: send the current code of its authenticator app "
            f"in {OTP_HEADER}: 123456"
        )
    try:
        outcome = tokens.check_code(token_id, code)
    except CodesThrottled as exc:
        raise SecondFactorThrottled(
            f"too many codes were tried for this token: the next one is checked in "
            f"{exc.retry_after} s",
            exc.retry_after,
        ) from None
    except SecretUnreadable as exc:
        log.error("second factor of %s cannot be checked: %s", token_id, exc)
        raise SecondFactorInvalid(
            "this token's second factor cannot be checked by this server; ask for a new token"
        ) from None
    if outcome is CodeCheck.REPLAYED:
        raise SecondFactorInvalid(
            f"this code was used already (each code counts once): send the next code in "
            f"{OTP_HEADER}"
        )
    if outcome is not CodeCheck.ACCEPTED:
        raise SecondFactorInvalid(
            f"{OTP_HEADER} is not the current 6-digit code of this token's authenticator app"
        )


def check_access_rules(app: Flask, public_prefixes: tuple[str, ...] = ()) -> None:
    """Refuse to start if any route lacks an explicit access rule.

    `public_prefixes` names the library's own routes (the OpenAPI document and its viewer).
    """
    missing = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if not _has_rule(view) and endpoint != "static" and not endpoint.startswith(public_prefixes)
    ]
    if missing:
        raise RuntimeError(f"routes without an access rule: {', '.join(sorted(missing))}")


def _has_rule(view: Any) -> bool:
    seen = view
    while seen is not None:
        if getattr(seen, ACCESS_ATTRIBUTE, None):
            return True
        seen = getattr(seen, "__wrapped__", None)
    view_class = getattr(view, "view_class", None)
    return bool(view_class and getattr(view_class, ACCESS_ATTRIBUTE, None))
