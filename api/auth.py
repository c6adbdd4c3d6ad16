"""Bearer-token authentication and the access rule every route must declare (as Arlo does)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, g, request

from domain.access import Actor, Role
from domain.errors import Forbidden

F = TypeVar("F", bound=Callable[..., Any])
ACCESS_ATTRIBUTE = "rekap_access_rule"


class Unauthenticated(Exception):
    """No token, or a token that is unknown or revoked."""


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
    """The actor of the request's bearer token, or Unauthenticated."""
    if "actor" in g:
        return g.actor
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("this call needs 'Authorization: Bearer <token>'")
    actor = current_app.extensions["rekap"].tokens.actor_for(token.strip())
    if actor is None:
        raise Unauthenticated("the token is unknown or revoked")
    g.actor = actor
    return actor


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
