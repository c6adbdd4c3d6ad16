"""Helpers for tests of the offline kecamatan node: a node store on SQLite made from central's
bundle, and a link from the node's client to central's Flask test client (which a test can cut)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient

from api.app import create_app
from service.bootstrap import Services, build_services, init_store
from service.node import bundle, local
from service.node.client import LinkError, Send
from tests.conftest import make_settings
from tests.factories import ELECTION

CENTRAL = "http://central.example"


def link(client: FlaskClient, cut_after: int | None = None, lose_answer: bool = False) -> Send:
    """A transport to central's test client. `cut_after`: that many requests pass, then the
    link drops (with `lose_answer`, the request that drops reaches central, its answer not)."""
    sent = [0]

    def send(method: str, url: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if cut_after is not None and sent[0] >= cut_after:
            if lose_answer:
                client.open(path, method=method, json=body, headers=headers)
            raise LinkError("the link dropped")
        sent[0] += 1
        r = client.open(path, method=method, json=body, headers=headers)
        return r.status_code, r.get_json()

    return send


@contextmanager
def node_made_from(central: Services, directory: Path, region: str) -> Iterator[Services]:
    """A node of `region` on SQLite, made from central's bundle through a file, as a user does."""
    settings, _ = make_settings("sqlite", directory)
    init_store(settings)
    node = build_services(settings)
    try:
        central.runner.catch_up()
        path = directory / "kecamatan.rekap.gz"
        bundle.write(bundle.export(central.db, ELECTION, region), path)
        local.init_node(node, bundle.read(path))
        node.runner.catch_up()
        yield node
    finally:
        node.close()


def client_of(services: Services) -> FlaskClient:
    return create_app(services, {"TESTING": True, "REKAP_WAIT_TIMEOUT": 0.3}).test_client()


def token(services: Services, role: str, scope: str | None = None, **extra: Any) -> str:
    made, _ = services.tokens.create(role, scope, name=f"{role} {scope or ''}", **extra)
    return made


def bearer(services: Services, role: str, scope: str | None = None, **extra: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(services, role, scope, **extra)}"}
