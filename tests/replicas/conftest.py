"""A real streaming standby of the test PostgreSQL for the whole session (tests/standby.py), and
stores whose public reads go to it. Outside CI a machine that cannot build one skips these
tests with the reason; in CI (CI=true) they fail."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from api.app import create_app
from service.bootstrap import Services, build_services, init_store
from service.config import Settings
from tests.conftest import IN_CI, POSTGRES_URL, drop_schema, make_settings, require_postgres
from tests.factories import setup_election
from tests.live import eventually
from tests.standby import Standby, StandbyError

Replicated = Callable[..., Services]


@pytest.fixture(scope="session")
def standby() -> Iterator[Standby]:
    require_postgres()
    try:
        node = Standby.create(POSTGRES_URL)
    except StandbyError as exc:
        message = f"no streaming standby of {POSTGRES_URL} can be built here: {exc}"
        if IN_CI:
            pytest.fail(message + " (CI must run the replica tests)", pytrace=False)
        pytest.skip(message)
    try:
        yield node
    finally:
        node.remove()


@pytest.fixture
def replica(standby: Standby) -> Standby:
    """The session's standby, running and replaying (whatever the test before did to it)."""
    standby.start()
    standby.resume_replay()
    return standby


def caught_up(services: Services, names: list[str] | None = None) -> None:
    """Wait until these replicas (all by default) serve, with the primary's read models as
    they are now."""
    target = services.runner.position()

    def there() -> bool:
        services.reads.check()
        states = [s for s in services.reads.statuses() if names is None or s["name"] in names]
        return all(s["state"] == "streaming" and s["position"] >= target for s in states)

    eventually(there, what=f"the replicas' replay of position {target}")


@pytest.fixture
def replicated(replica: Standby, tmp_path: Path) -> Iterator[Replicated]:
    """`replicated(**env)`: a store on the primary whose reads go to the standby (and to any
    other replica URLs given), the test election set up and projected, replicas caught up."""
    made: list[tuple[Services, str | None]] = []

    def make(
        *, replicas: list[str] | None = None, serving: list[str] | None = None, **env: str
    ) -> Services:
        base, schema = make_settings("postgresql", tmp_path / f"store{len(made)}")
        urls = replicas if replicas is not None else [replica.url(POSTGRES_URL)]
        settings = Settings.from_env(
            {
                "REKAP_DATABASE_URL": base.database.url,
                "REKAP_EVIDENCE_DIR": str(base.evidence_dir),
                "REKAP_AUDIT_KEY": str(base.audit_key),
                "REKAP_READ_DATABASE_URL": " ".join(urls),
                **env,
            }
        )
        init_store(settings)
        services = build_services(settings)
        made.append((services, schema))
        setup_election(services)
        services.runner.catch_up()
        caught_up(services, serving)
        return services

    yield make
    for services, schema in made:
        services.close()
        if schema:
            drop_schema(schema)


def client_of(services: Services, wait: float = 0.3) -> FlaskClient:
    return create_app(services, {"TESTING": True, "REKAP_WAIT_TIMEOUT": wait}).test_client()
