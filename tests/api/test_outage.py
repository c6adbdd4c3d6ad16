"""A PostgreSQL that refuses connections or drops them: every answer is a quick 503 with
Retry-After, never a hung request, and the service recovers by itself. Real servers only."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from api.app import create_app
from service.bootstrap import Services, build_services, init_store
from service.config import Settings, parse_database_url
from service.store.db import connect_admin
from tests.api.test_container_files import dockerfile_cmd
from tests.conftest import POSTGRES_URL, POSTGRESQL_ONLY, drop_schema, make_settings
from tests.factories import CONTEST, ELECTION, setup_election
from tests.live import ROOT, call, env_for, eventually, free_port, stop

pytestmark = pytest.mark.slow
URL = f"/api/v1/elections/{ELECTION}/contests/{CONTEST}"
# Far above the 2-3 s the service takes now, far below the 15 s and 42 s it took before.
PATIENCE = 12.0


def start_gunicorn(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**env, "REKAP_BIND": f"127.0.0.1:{port}", "REKAP_WORKERS": "1"}
    process = subprocess.Popen([sys.executable, "-m", *dockerfile_cmd()], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    eventually(lambda: call(f"{base}/healthz", timeout=5)[0] == 200, what="gunicorn's start")
    return process, base


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=PATIENCE) as response:
        return str(response.read().decode())


def test_with_postgresql_refusing_connections_every_answer_is_a_quick_503(
    tmp_path: Path,
) -> None:
    settings, _ = make_settings("sqlite", tmp_path)  # paths only; the store is below
    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    gunicorn, base = start_gunicorn({**env_for(settings), "REKAP_DATABASE_URL": closed})
    try:
        submission = {"submission_id": "s-1"}
        with ThreadPoolExecutor(4) as pool:
            ready = pool.submit(call, f"{base}/readyz", timeout=PATIENCE)
            recap = pool.submit(call, f"{base}{URL}/regions/91", timeout=PATIENCE)
            write = pool.submit(
                call,
                f"{base}{URL}/tps/9101011001001/submissions",
                "POST",
                submission,
                "rk_x",
                timeout=PATIENCE,
            )
            metrics = pool.submit(scrape, f"{base}/metrics")
        status, problem, headers = ready.result()
        assert status == 503 and problem["code"] == "unavailable" and headers["Retry-After"]
        for status, problem, headers in (recap.result(), write.result()):
            assert status == 503 and problem["code"] == "store_unavailable"
            assert headers["Content-Type"] == "application/problem+json"
            assert int(headers["Retry-After"]) > 0
        assert "rekap_store_up 0.0" in metrics.result()
    finally:
        assert stop(gunicorn) == 0


@pytest.fixture
def served(settings: Settings, services: Services) -> Iterator[tuple[str, str]]:
    setup_election(services)
    services.runner.catch_up()
    name = f"rekap-test-{uuid.uuid4().hex[:8]}"  # libpq's application_name: these and no others
    gunicorn, base = start_gunicorn(env_for(settings, PGAPPNAME=name))
    try:
        yield base, name
    finally:
        stop(gunicorn)


def terminate_backends(application_name: str) -> int:
    with connect_admin(parse_database_url(POSTGRES_URL)) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (application_name,),
        ).fetchall()
    return len(rows)


@POSTGRESQL_ONLY
def test_requests_recover_by_themselves_after_postgresql_drops_every_connection(
    served: tuple[str, str],
) -> None:
    base, name = served
    for path in ("/readyz", f"{URL}/regions/91", "/api/v1/elections"):
        assert call(f"{base}{path}", timeout=PATIENCE)[0] == 200
    assert terminate_backends(name) >= 1

    seen = set()

    def answered() -> bool:
        status, _, headers = call(f"{base}{URL}/regions/91", timeout=PATIENCE)
        seen.add(status)
        assert status == 200 or (status == 503 and headers["Retry-After"])
        return status == 200

    eventually(answered, what="a recap again")
    assert seen <= {200, 503}
    eventually(lambda: call(f"{base}/readyz", timeout=PATIENCE)[0] == 200, what="readiness")
    assert call(f"{base}/api/v1/elections", timeout=PATIENCE)[0] == 200


def test_a_request_held_longer_than_the_statement_limit_is_a_503(tmp_path: Path) -> None:
    settings, schema = make_settings("postgresql", tmp_path)
    limited = replace(settings, timeouts=replace(settings.timeouts, statement=1.0))
    init_store(settings)
    services = build_services(limited.for_requests())  # what an API worker builds
    try:
        setup_election(services)
        services.runner.catch_up()
        client = create_app(services, {"TESTING": True}).test_client()
        assert client.get(f"{URL}/regions/91").status_code == 200
        tables = ", ".join(t for p in services.runner.projections[:1] for t in p.table_names())
        pool = ThreadPoolExecutor(1)  # bounded: a request that hangs fails the test
        try:
            with connect_admin(settings.database) as locker, locker.transaction():
                locker.execute(f'SET search_path = "{schema}"')
                locker.execute(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE")  # stuck writer
                answer = pool.submit(client.get, f"{URL}/regions/91").result(timeout=PATIENCE)
        finally:
            pool.shutdown()  # once the lock is released
        assert answer.status_code == 503 and answer.headers["Retry-After"]
        assert answer.get_json()["code"] == "store_unavailable"
        assert client.get(f"{URL}/regions/91").status_code == 200
    finally:
        services.close()
        if schema:
            drop_schema(schema)
