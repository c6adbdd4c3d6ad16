"""HTTP fixtures: the Flask test client over the `services` fixture, and bearer tokens."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from api.app import create_app
from service.bootstrap import Services
from tests.factories import setup_election

Auth = Callable[..., dict[str, str]]


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
def ready(services: Services) -> Services:
    """The small test election (province 91) set up, and projected."""
    setup_election(services)
    services.runner.catch_up()
    return services
