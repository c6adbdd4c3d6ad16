"""A kecamatan node holds the legislative contests too: the export cuts a DPR contest to the
district of the kecamatan, the node's KPPS and PPK work on it offline, and the push lands on
central's whole contest (central on SQLite and PostgreSQL, the node on SQLite)."""

from __future__ import annotations

import uuid
from pathlib import Path

from flask.testing import FlaskClient

from service.bootstrap import Services
from service.node import bundle
from service.node.local import state
from tests.api.conftest import Auth
from tests.api.test_legislative_api import define, dpr_votes
from tests.api.test_node_sync import push
from tests.factories import DPT, ELECTION, TPS
from tests.legislative import BASE, dpr, pemilu_form
from tests.nodes import bearer, client_of, node_made_from

K = "910101"


def test_a_dpr_kecamatan_worked_on_a_node_is_pushed_and_central_equals_it(
    ready: Services, client: FlaskClient, auth: Auth, tmp_path: Path
) -> None:
    define(client, auth, dpr())
    ready.runner.catch_up()
    exported = bundle.export(ready.db, ELECTION, K)
    held = next(c for c in exported["contests"] if c["id"] == "dpr")
    assert [(d["code"], d["regions"]) for d in held["districts"]] == [("9101", ["910101"])]

    with node_made_from(ready, tmp_path / "node", K) as node:
        assert "dpr" in state(node)["contests"]  # type: ignore[index]
        web = client_of(node)
        for tps in TPS[:3]:
            body = {
                "submission_id": str(uuid.uuid4()),
                "form": pemilu_form(DPT[tps], dpr_votes(tps)),
            }
            r = web.post(
                f"{BASE}/dpr/tps/{tps}/submissions", json=body, headers=bearer(node, "kpps", tps)
            )
            assert r.status_code == 201, r.json
        wrong = pemilu_form(DPT[TPS[3]], dpr_votes(TPS[3]))  # a TPS beyond the node's kecamatan
        body = {"submission_id": str(uuid.uuid4()), "form": wrong}
        r = web.post(
            f"{BASE}/dpr/tps/{TPS[3]}/submissions", json=body, headers=bearer(node, "kpps", TPS[3])
        )
        assert r.status_code in (404, 422), r.json
        ppk = bearer(node, "ppk", K)
        plenary = f"{BASE}/dpr/plenaries/{K}"
        assert web.post(f"{plenary}/open", headers=ppk).status_code == 201
        sign = {"signed_by": ["Ketua PPK"]}
        assert web.post(f"{plenary}/certification", json=sign, headers=ppk).status_code == 201
        node.runner.catch_up()
        on_node = web.get(f"{BASE}/dpr/regions/{K}").json

        report = push(node, client, ready)
        assert report["counts"] == {"applied": 5}, report
        ready.runner.catch_up()
        on_central = client.get(f"{BASE}/dpr/regions/{K}").json
        for key in ("votes", "parties", "valid", "tps_reported"):
            assert on_central[key] == on_node[key], key
        assert on_central["plenary"]["status"] == "certified"
        certificate = client.get(f"{plenary}/certificate").json["figures"]
        assert certificate == web.get(f"{plenary}/certificate").json["figures"]
