"""A kecamatan runs its plenary on a node of its own with no link to central, then pushes what
it did; central replays each step through its own rules (central on SQLite and PostgreSQL, the
node on SQLite). A clean push leaves central's figures equal to the node's; a push with a
conflict reports it and loses nothing else; a push repeated, or cut and resumed, changes
nothing twice; a token of another kecamatan is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from service.audit.verify import verify
from service.bootstrap import Services
from service.node import client as node_link
from service.node.client import LinkError
from service.node.local import state
from service.node.steps import node_steps
from tests.api.conftest import Auth, TotpAuth
from tests.api.test_plenary_api import BASE, SIGN, form, submit_all
from tests.factories import CONTEST, ELECTION, submission
from tests.nodes import CENTRAL, bearer, client_of, link, node_made_from, token
from tests.totp_codes import code_now

K = "910101"
MISSING = "9101011002001"  # its KPPS never uploaded
FIXED = "9101011001001"  # a witness objects to its reading; the plenary corrects it
READING = {"tps": MISSING, "form": form(MISSING, v1=71), "reason": "dibacakan dari C.Hasil"}
PHOTO = b"%PDF-1.4 C.Hasil TPS 91.01.01.1002.001, dibacakan dalam pleno"
FIX = {"tps": FIXED, "form": form(FIXED, v1=49), "reason": "dibaca ulang dari C.Hasil"}


def post(client: FlaskClient, headers: dict[str, str], action: str, body: Any = None) -> Any:
    r = client.post(f"{BASE}/plenaries/{K}/{action}", json=body, headers=headers)
    assert r.status_code == 201, r.json
    return r.json


def run_offline_plenary(node: Services) -> None:
    """Open, read the missing result, hear a witness and correct, certify: all on the node."""
    web = client_of(node)
    ppk = bearer(node, "ppk", K)
    saksi = bearer(node, "saksi", "91", contest=CONTEST, candidate=2)
    post(web, ppk, "open")
    photo = web.post("/api/v1/evidence", data=PHOTO, headers=ppk, content_type="application/pdf")
    assert photo.status_code == 201, photo.json
    evidence = [{"page": 1, "sha256": photo.json["sha256"]}]
    post(web, ppk, "results", {**READING, "evidence": evidence})
    objection = {"subject": "tps", "target": FIXED, "detail": "suara paslon 1 salah baca"}
    oid = post(web, saksi, "objections", objection)["objection_id"]
    resolution = {"accepted": True, "note": "diterima", "correction": FIX}
    post(web, ppk, f"objections/{oid}/resolution", resolution)
    post(web, ppk, "certification", SIGN)
    node.runner.catch_up()


def figures(services: Services) -> dict[str, Any]:
    """What the kecamatan's recap, plenary and certificate say, as figures."""
    services.runner.catch_up()
    web = client_of(services)
    recap = web.get(f"{BASE}/regions/{K}").json
    plenary = web.get(f"{BASE}/plenaries/{K}").json
    certificate = web.get(f"{BASE}/plenaries/{K}/certificate")
    keys = ("votes", "valid", "invalid", "total", "tps_reported", "tps_read_in_plenary")
    return {
        "recap": {k: recap[k] for k in keys},
        "children": [{k: c[k] for k in ("code", *keys)} for c in recap["children"]],
        "plenary": {k: plenary[k] for k in ("status", "version")},
        "minutes": [m["kind"] for m in plenary["minutes"]],
        "certificate": certificate.json["figures"] if certificate.status_code == 200 else None,
        "tps": {
            code: web.get(f"{BASE}/tps/{code}").json["form"]
            for code in ("9101011001001", "9101011001002", MISSING)
        },
    }


@pytest.fixture
def central(ready: Services, client: FlaskClient, auth: Auth) -> Services:
    """Central, with the kecamatan's uploads in but one (other kecamatan's too)."""
    submit_all(client, auth, skip=(MISSING,))
    return ready


def upload_late(client: FlaskClient, auth: Auth) -> None:
    """The KPPS of MISSING uploads to central after all."""
    late = client.post(
        f"{BASE}/tps/{MISSING}/submissions",
        json=submission(form(MISSING)),
        headers=auth("kpps", MISSING),
    )
    assert late.status_code == 201


def push(node: Services, central_web: FlaskClient, central: Services, **options: Any) -> Any:
    ppk = token(central, "ppk", K)
    return node_link.push(node, CENTRAL, ppk, send=link(central_web, **options.pop("cut", {})))


def test_a_plenary_run_offline_and_pushed_leaves_central_equal_to_the_node(
    central: Services, client: FlaskClient, tmp_path: Path
) -> None:
    with node_made_from(central, tmp_path / "node", K) as node:
        run_offline_plenary(node)
        on_node = figures(node)
        assert on_node["plenary"]["status"] == "certified"
        assert on_node["recap"]["tps_read_in_plenary"] == 1

        report = push(node, client, central)
        assert report["counts"] == {"applied": 5}, report
        kinds = [s["kind"] for s in node_steps(node)[1]]
        assert kinds == ["open", "result_read", "objection", "resolution", "certification"]
        assert figures(central) == on_node

        # the origin of every step is in central's log: the node, the step, who pushed it
        node_id = state(node)["node"]  # type: ignore[index]
        minutes = client.get(f"{BASE}/plenaries/{K}").json["minutes"]
        origins = [m["actor"]["origin"] for m in minutes]
        assert {o["node"] for o in origins} == {node_id}
        assert [m["actor"]["role"] for m in minutes] == ["ppk", "ppk", "saksi", "ppk", "ppk", "ppk"]
        history = client.get(f"{BASE}/tps/{MISSING}/history").json["events"]
        assert history[0]["actor"]["origin"]["node"] == node_id
        digest = history[0]["payload"]["evidence"][0]["sha256"]
        assert client.get(f"/api/v1/evidence/{digest}").data == PHOTO  # carried by the push
        assert history[0]["payload"]["source"] == "plenary"
        audit = client.get("/api/v1/audit/events?limit=1000").json["events"]
        assert any((e["actor"] or {}).get("origin", {}).get("node") == node_id for e in audit)

        seen = client.get(f"{BASE}/reconciliation/{K}").json
        counts = {k: seen[k] for k in ("tps_total", "uploaded", "read_in_plenary", "from_node")}
        assert counts == {"tps_total": 3, "uploaded": 2, "read_in_plenary": 1, "from_node": 2}
        assert seen["missing"] == 0 and seen["open_conflicts"] == 0 and seen["with_work"] == []
        assert seen["kecamatan"][0]["plenary_steps_from_node"] == 6  # with the correction

        # the same push again changes nothing
        head = central.runner.head()
        again = push(node, client, central)
        assert again["counts"] == {"already_applied": 5}
        assert verify(central).ok and verify(node).ok  # hashes and every read model, replayed
        assert central.runner.head() == head
        assert figures(central) == on_node


def test_a_push_with_a_conflict_reports_it_and_loses_nothing_else(
    central: Services, client: FlaskClient, auth: Auth, tmp_path: Path
) -> None:
    with node_made_from(central, tmp_path / "node", K) as node:
        upload_late(client, auth)  # meanwhile the KPPS's upload reached central after all
        run_offline_plenary(node)

        report = push(node, client, central)
        statuses = [(s["status"], s.get("code")) for s in report["steps"]]
        assert statuses == [
            ("applied", None),
            ("conflict", "conflict"),  # the result read: central has the upload
            ("applied", None),
            ("applied", None),  # the objection and its correction are not lost
            ("conflict", "conflict"),  # certifying other figures than the node did: refused
        ]
        assert "already has a result" in report["steps"][1]["reason"]
        assert any(e["field"] == f"figures.{MISSING}" for e in report["steps"][4]["errors"])
        central.runner.catch_up()
        fixed = client.get(f"{BASE}/tps/{FIXED}").json
        assert fixed["version"] == 2 and fixed["form"]["votes"]["1"] == 49
        assert client.get(f"{BASE}/tps/{MISSING}").json["form"]["votes"]["1"] == 70
        assert client.get(f"{BASE}/plenaries/{K}").json["status"] == "open"

        # pushed again: the same answers, nothing written twice
        head = central.runner.head()
        again = push(node, client, central)
        assert [s["status"] for s in again["steps"]] == [
            "already_applied",
            "conflict",
            "already_applied",
            "already_applied",
            "conflict",
        ]
        assert central.runner.head() == head

        # the kab/kota sees which kecamatan still has work, and why
        seen = client.get(f"{BASE}/reconciliation/9101").json
        assert seen["open_conflicts"] == 2 and seen["with_work"] == ["910101", "910102"]
        assert [c["step"] for c in seen["conflicts"]] == [
            again["steps"][1]["step"],
            again["steps"][4]["step"],
        ]
        assert {c["kind"] for c in seen["conflicts"]} == {"result_read", "certification"}
        row = seen["kecamatan"][0]
        assert (row["code"], row["uploaded"], row["read_in_plenary"], row["from_node"]) == (
            K,
            3,
            0,
            1,
        )
        assert row["plenary"] == "open" and row["open_conflicts"] == 2
        # the officials settle it on central: they certify the figures central holds
        certified = client.post(
            f"{BASE}/plenaries/{K}/certification", json=SIGN, headers=auth("ppk", K)
        )
        assert certified.status_code == 201, certified.json
        central.runner.catch_up()
        seen = client.get(f"{BASE}/reconciliation/9101").json
        assert seen["open_conflicts"] == 0 and seen["with_work"] == ["910102"]


def test_a_push_cut_midway_resumes_without_applying_anything_twice(
    central: Services, client: FlaskClient, tmp_path: Path
) -> None:
    with node_made_from(central, tmp_path / "node", K) as node:
        run_offline_plenary(node)
        ppk = token(central, "ppk", K)
        with pytest.raises(LinkError):  # the first request goes through, the link drops
            node_link.push(node, CENTRAL, ppk, batch=2, send=link(client, cut_after=1))
        with pytest.raises(LinkError):  # the second reaches central, its answer is lost
            node_link.push(
                node, CENTRAL, ppk, batch=2, send=link(client, cut_after=1, lose_answer=True)
            )
        resumed = node_link.push(node, CENTRAL, ppk, batch=2, send=link(client))
        assert [s["status"] for s in resumed["steps"]] == [
            "already_applied",
            "already_applied",
            "already_applied",
            "already_applied",
            "applied",
        ]
        assert figures(central) == figures(node)
        minutes = client.get(f"{BASE}/plenaries/{K}").json["minutes"]
        assert [m["kind"] for m in minutes].count("objection_raised") == 1


def test_a_token_of_another_kecamatan_or_role_cannot_push_and_a_node_cannot_reach_beyond_it(
    central: Services, client: FlaskClient, tmp_path: Path
) -> None:
    with node_made_from(central, tmp_path / "node", K) as node:
        run_offline_plenary(node)
        head = central.runner.head()
        for role, scope in (("ppk", "910102"), ("kpps", MISSING), ("kpu_kabkota", "9101")):
            with pytest.raises(LinkError, match="403"):
                node_link.push(node, CENTRAL, token(central, role, scope), send=link(client))
        with pytest.raises(LinkError, match="401"):  # a token made on the node is not central's
            node_link.push(node, CENTRAL, token(node, "ppk", K), send=link(client))
        assert central.runner.head() == head

        # a node that claims more than its kecamatan: each such step refused alone
        steps = node_steps(node)[1]
        opened = steps[0]
        crafted = [
            {**opened, "id": "x:1", "target": "910102"},
            {**opened, "id": "x:2", "actor": {"id": "t", "role": "kpu_kabkota", "scope": "9101"}},
            {**opened, "id": "x:3", "actor": {"id": "t", "role": "ppk", "scope": "910102"}},
            {**opened, "id": "x:4", "kind": "submission", "target": "9101021001001"},
            {**opened, "id": "x:5", "kind": "drop_table"},
        ]
        body = {"node": "x", "election": ELECTION, "region": K, "steps": crafted}
        r = client.post("/api/v1/sync", json=body, headers=bearer(central, "ppk", K))
        assert r.status_code == 200, r.json
        assert [(s["status"], s["code"]) for s in r.json["steps"]] == [
            ("conflict", "forbidden"),
            ("conflict", "forbidden"),
            ("conflict", "forbidden"),
            ("conflict", "forbidden"),
            ("conflict", "invalid_input"),
        ]
        hostile = {**body, "steps": [{**opened, "id": "x:6", "body": {"x": "a\u0000"}}]}
        r = client.post("/api/v1/sync", json=hostile, headers=bearer(central, "ppk", K))
        assert r.status_code == 422
        r = client.post(
            "/api/v1/sync", json={**body, "region": "910102"}, headers=bearer(central, "ppk", K)
        )
        assert r.status_code == 403
        assert central.runner.head() == head


def test_a_node_pulls_what_central_received_since(
    central: Services, client: FlaskClient, auth: Auth, tmp_path: Path
) -> None:
    with node_made_from(central, tmp_path / "node", K) as node:
        upload_late(client, auth)
        pulled = node_link.pull(node, CENTRAL, send=link(client))
        assert pulled["imported"] == 1 and pulled["diverged"] == []
        node.runner.catch_up()
        web = client_of(node)
        assert web.get(f"{BASE}/regions/{K}").json["tps_reported"] == 3
        assert node_steps(node)[1] == []  # what came from central is not pushed back
        again = node_link.pull(node, CENTRAL, send=link(client))
        assert again["imported"] == 0 and again["present"] == pulled["present"] + 1


def test_a_push_with_a_token_that_has_a_second_factor_needs_its_code(
    central: Services, client: FlaskClient, totp_auth: TotpAuth, tmp_path: Path
) -> None:
    with node_made_from(central, tmp_path / "node", K) as node:
        run_offline_plenary(node)
        headers, uri = totp_auth("ppk", K)
        ppk = headers["Authorization"].split()[1]
        head = central.runner.head()
        with pytest.raises(LinkError, match="401"):
            node_link.push(node, CENTRAL, ppk, send=link(client))
        assert central.runner.head() == head
        report = node_link.push(node, CENTRAL, ppk, otp=code_now(uri), send=link(client))
        assert report["counts"] == {"applied": 5}


def test_a_plenary_opened_on_central_too_is_a_conflict_and_the_rest_applies(
    central: Services, client: FlaskClient, auth: Auth, tmp_path: Path
) -> None:
    with node_made_from(central, tmp_path / "node", K) as node:
        opened = client.post(f"{BASE}/plenaries/{K}/open", headers=auth("ppk", K))
        assert opened.status_code == 201
        run_offline_plenary(node)
        report = push(node, client, central)
        assert [s["status"] for s in report["steps"]] == [
            "conflict",
            "applied",
            "applied",
            "applied",
            "applied",
        ]
        assert "already open" in report["steps"][0]["reason"]
        on_node, on_central = figures(node), figures(central)
        assert on_central["certificate"] == on_node["certificate"]
        assert on_central["recap"] == on_node["recap"]
        # settled by the certification that followed it
        seen = client.get(f"{BASE}/reconciliation/{K}").json
        assert seen["open_conflicts"] == 0 and seen["with_work"] == []
