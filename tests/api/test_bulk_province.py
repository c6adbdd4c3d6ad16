"""A province's import over HTTP: the Jakarta demo's 14,835 forms, one request per kab/kota."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

from service.bootstrap import Services
from service.demo import jakarta
from tests.api.conftest import Auth

pytestmark = pytest.mark.slow


@pytest.fixture(params=["postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    # The production store only: the smaller bulk tests cover SQLite, and this one takes ~20 s.
    return str(request.param)


def test_the_jakarta_demo_goes_in_with_one_bulk_request_per_kabkota(
    client: FlaskClient, services: Services, auth: Auth
) -> None:
    eid, cid = jakarta.ELECTION["id"], jakarta.CONTEST["id"]
    admin = auth("admin")
    assert client.post("/api/v1/elections", json=jakarta.ELECTION, headers=admin).status_code == 201
    tree = jakarta.regions()
    assert (
        client.put(f"/api/v1/elections/{eid}/regions", json=tree, headers=admin).status_code == 200
    )
    assert (
        client.post(f"/api/v1/elections/{eid}/contests", json=jakarta.CONTEST, headers=admin)
    ).status_code == 201

    by_kab: dict[str, list[dict[str, Any]]] = {}
    for result in jakarta.results():
        by_kab.setdefault(result.tps[:4], []).append(
            {"tps": result.tps, "submission_id": str(uuid.uuid4()), "form": result.form}
        )
    started = time.perf_counter()
    statuses: dict[int, int] = {}
    for kab, items in sorted(by_kab.items()):
        body = json.dumps(items)
        r = client.post(
            f"/api/v1/elections/{eid}/contests/{cid}/submissions:bulk",
            data=body,
            headers={**auth("operator", kab), "Content-Type": "application/json"},
        )
        assert r.status_code == 200, r.get_data(as_text=True)[:500]
        for item in r.get_json()["items"]:
            statuses[item["status"]] = statuses.get(item["status"], 0) + 1
    elapsed = time.perf_counter() - started
    assert statuses == {201: 14_835}
    print(f"14,835 forms in {len(by_kab)} bulk requests: {elapsed:.1f} s")

    services.runner.catch_up()
    recap = client.get(f"/api/v1/elections/{eid}/contests/{cid}/regions/31").get_json()
    assert recap["tps_reported"] == recap["tps_total"] == 14_835
    assert recap["votes"]["3"] == 2_183_239 - _corrected_difference()
    assert recap["valid"] > 4_000_000


def _corrected_difference() -> int:
    """The demo corrects one misread form afterwards; this import sends the first readings."""
    difference = 0
    for result in jakarta.results():
        if result.correction is not None:
            difference += result.correction["votes"]["3"] - result.form["votes"]["3"]
    return difference
