"""HTTP fixtures: the Flask test client over the `services` fixture, and bearer tokens (with or
without a second factor)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from api.app import create_app
from service.bootstrap import Services
from tests.factories import TPS, setup_election

Auth = Callable[..., dict[str, str]]
TotpAuth = Callable[..., tuple[dict[str, str], str]]


@pytest.fixture
def client(services: Services) -> FlaskClient:
    app = create_app(services, {"TESTING": True, "REKAP_WAIT_TIMEOUT": 0.3})
    return app.test_client()


@pytest.fixture
def auth(services: Services) -> Auth:
    """Headers with a fresh token of a role: auth("kpps", "9101011001001")."""

    def headers(role: str, scope: str | None = None, **extra: object) -> dict[str, str]:
        token, _ = services.tokens.create(role, scope, name=f"test {role}", **extra)  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def totp_auth(services: Services) -> TotpAuth:
    """A fresh token with a second factor: its headers (no X-OTP yet) and its otpauth:// URI,
    from which tests/totp_codes.py computes codes as the app would: totp_auth("ppk", "910101")."""

    def create(role: str, scope: str | None = None, **extra: object) -> tuple[dict[str, str], str]:
        token, _, uri = services.tokens.create_with_totp(
            role,
            scope,
            name=f"test {role} with a second factor",
            **extra,  # type: ignore[arg-type]
        )
        return {"Authorization": f"Bearer {token}"}, uri

    return create


@pytest.fixture
def ready(services: Services) -> Services:
    """The small test election (province 91) set up, and projected."""
    setup_election(services)
    services.runner.catch_up()
    return services


@pytest.fixture
def kpps0(ready: Services, auth: Auth) -> dict[str, str]:
    """Headers of the KPPS of the first TPS, in the ready election."""
    return auth("kpps", TPS[0])
