"""Shared fixtures: every integration test runs on SQLite and on PostgreSQL, isolated.

PostgreSQL comes from REKAP_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/
postgres); each test gets its own schema, dropped afterwards. Outside CI a missing PostgreSQL
skips those tests with a message; in CI (CI=true) it fails them.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from service.bootstrap import Services, build_services, init_store
from service.config import Settings, parse_database_url
from service.store.db import connect_admin
from service.store.db import drop_schema as drop_postgres_schema

POSTGRES_URL = os.environ.get(
    "REKAP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BACKENDS = ["sqlite", "postgresql"]
# For tests whose store must be PostgreSQL (a real server, libpq, the recorder's own SQL): the
# `settings` and `services` fixtures then give that store alone.
POSTGRESQL_ONLY = pytest.mark.parametrize("backend", ["postgresql"])


def _postgres_error() -> str | None:
    try:
        with connect_admin(parse_database_url(POSTGRES_URL), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


POSTGRES_ERROR = _postgres_error()


def require_postgres() -> None:
    if POSTGRES_ERROR is None:
        return
    message = f"PostgreSQL at {POSTGRES_URL} is not reachable: {POSTGRES_ERROR}"
    if IN_CI:
        pytest.fail(message + " (CI must run the PostgreSQL tests)", pytrace=False)
    pytest.skip(message)


def drop_schema(schema: str) -> None:
    drop_postgres_schema(parse_database_url(POSTGRES_URL), schema)


def make_settings(backend: str, directory: Path) -> tuple[Settings, str | None]:
    """Settings for a fresh, isolated store; the PostgreSQL schema name, if any."""
    env = {
        "REKAP_EVIDENCE_DIR": str(directory / "evidence"),
        "REKAP_AUDIT_KEY": str(directory / "audit-key.pem"),
        "REKAP_TOTP_KEY": str(directory / "totp-key"),
        "REKAP_WITNESSES": str(directory / "witnesses.txt"),
        "REKAP_POOL_SIZE": "4",
    }
    if backend == "sqlite":
        env["REKAP_DATABASE_URL"] = f"sqlite:///{directory / 'rekap.db'}"
        return Settings.from_env(env), None
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    separator = "&" if "?" in POSTGRES_URL else "?"
    env["REKAP_DATABASE_URL"] = f"{POSTGRES_URL}{separator}schema={schema}"
    return Settings.from_env(env), schema


@contextmanager
def fresh_sqlite_services() -> Iterator[Services]:
    """Services on a fresh SQLite store in a temporary directory: one per hypothesis example,
    which cannot share a function-scoped fixture's store."""
    with tempfile.TemporaryDirectory() as directory:
        settings, _ = make_settings("sqlite", Path(directory))
        init_store(settings)
        services = build_services(settings)
        try:
            yield services
        finally:
            services.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def settings(backend: str, tmp_path: Path) -> Iterator[Settings]:
    settings, schema = make_settings(backend, tmp_path)
    yield settings
    if schema:
        drop_schema(schema)


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    init_store(settings)
    services = build_services(settings)
    yield services
    services.close()


@pytest.fixture(scope="session", params=BACKENDS)
def demo_services(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Services]:
    """A store with the Jakarta demo loaded and projected, shared by read-only tests."""
    from service.demo.loader import load_demo

    settings, schema = make_settings(request.param, tmp_path_factory.mktemp("demo"))
    init_store(settings)
    services = build_services(settings)
    load_demo(services)
    services.runner.catch_up()
    yield services
    services.close()
    if schema:
        drop_schema(schema)
