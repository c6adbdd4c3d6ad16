"""A node's own store: made from a bundle (`rekap node init`), refreshed from central (`rekap node
pull`). The node keeps which events came from central (`node_imported`): every other event of
its kecamatan's results and plenaries is a step the node did, to be pushed."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.access import SYSTEM
from domain.errors import Conflict, InvalidInput
from service.bootstrap import Services
from service.input import elections as given
from service.node.bundle import aggregate_ids, contests_of
from service.store import sync_log
from service.store.eventlog import events_table, stored_id
from service.usecases.elections import create_election, define_contest, load_regions

STATE = sync_log.NODE_STATE
IMPORTED = sync_log.NODE_IMPORTED


def state(services: Services) -> dict[str, Any] | None:
    """The node's identity and what it holds; None for a store that is not a node."""
    document = services.db.scalar(f"SELECT document FROM {STATE} WHERE id = 1")
    return json.loads(document) if document else None


def _save_state(services: Services, document: dict[str, Any]) -> None:
    with services.db.transaction() as tx:
        tx.execute(f"DELETE FROM {STATE} WHERE id = 1")
        tx.execute(f"INSERT INTO {STATE} (id, document) VALUES (1, %s)", (json.dumps(document),))


@dataclass
class Imported:
    imported: int = 0
    present: int = 0
    diverged: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "present": self.present, "diverged": self.diverged}


def init_node(services: Services, bundle: dict[str, Any]) -> dict[str, Any]:
    """Make this (empty) store the node of the bundle's kecamatan."""
    found = state(services)
    if found is not None:
        raise Conflict(f"this store is already the node {found['node']} of {found['region']}")
    election = bundle["election"]
    create_election(services.setup, SYSTEM, given.election(election))
    tree = {"regions": bundle["regions"], "tps": bundle["tps"]}
    load_regions(services.setup, SYSTEM, election["id"], [tree])
    held, refused = [], {}
    for contest in contests_of(bundle):
        try:
            define_contest(services.setup, SYSTEM, election["id"], contest)
        except InvalidInput as exc:  # a contest whose definition needs more than one kecamatan
            refused[contest.contest_id] = exc.message
            continue
        held.append(contest.contest_id)
    node = {
        "node": str(uuid.uuid4()),
        "election": election["id"],
        "region": bundle["region"],
        "contests": held,
        "contests_not_held": refused,
        "tps": [t["code"] for t in bundle["tps"]],
        "central_head": bundle["head"],
        "exported_at": bundle["exported_at"],
    }
    _save_state(services, node)
    summary = import_events(services, node, bundle["events"])
    return {**node, **summary.to_dict()}


def pull(services: Services, bundle: dict[str, Any]) -> dict[str, Any]:
    """Bring in what central received for this kecamatan since the node last heard from it."""
    node = state(services)
    if node is None:
        raise Conflict("this store is not a node: run `rekap node init FILE` first")
    if (bundle["election"]["id"], bundle["region"]) != (node["election"], node["region"]):
        raise Conflict(f"that bundle is not of {node['election']} {node['region']}")
    summary = import_events(services, node, bundle["events"])
    _save_state(services, {**node, "central_head": max(node["central_head"], bundle["head"])})
    return {"node": node["node"], "central_head": bundle["head"], **summary.to_dict()}


def import_events(
    services: Services, node: dict[str, Any], events: list[dict[str, Any]]
) -> Imported:
    """Central's events the node lacks, byte for byte. An event the node holds already (its
    own step, pushed and replayed there) is passed over; one where central and the node hold
    different events of an aggregate is reported, and that aggregate is left as the node has
    it (the officials settle it; central's reconciliation view shows it)."""
    summary = Imported()
    held = kecamatan_aggregates(node)  # the results and plenaries of the contests it holds
    events = [e for e in events if UUID(e["originator_id"]) in held]
    mine = _own_versions(services, {UUID(e["originator_id"]) for e in events})
    stopped: set[UUID] = set()
    for e in sorted(events, key=lambda e: e["position"]):
        oid, version = UUID(e["originator_id"]), int(e["originator_version"])
        state_bytes = base64.b64decode(e["state"])
        if oid in stopped:
            continue
        held = mine.get((oid, version))
        if held is not None:
            if held == state_bytes or _replays_a_step_of(node["node"], state_bytes):
                summary.present += 1
                continue
            stopped.add(oid)
            summary.diverged.append({"aggregate": str(oid), "version": version})
            continue
        with services.db.transaction() as tx:
            tx.execute(
                f"INSERT INTO {IMPORTED} (originator_id, version) VALUES (%s, %s) "
                "ON CONFLICT DO NOTHING",
                (str(oid), version),
            )
        services.app.recorder.insert_events(
            [StoredEvent(oid, version, e["topic"], state_bytes)]  # type: ignore[arg-type]
        )
        summary.imported += 1
    return summary


def _replays_a_step_of(node_id: str, state_bytes: bytes) -> bool:
    return f'"node":"{node_id}"'.encode() in state_bytes


def _own_versions(services: Services, ids: set[UUID]) -> dict[tuple[UUID, int], bytes]:
    db = services.db
    found: dict[tuple[UUID, int], bytes] = {}
    for oid in ids:
        for r in db.query(
            f"SELECT originator_version, state FROM {events_table(db)} WHERE originator_id = %s",
            (stored_id(db, oid),),
        ):
            found[(oid, int(r["originator_version"]))] = bytes(r["state"])
    return found


def imported(services: Services) -> set[tuple[str, int]]:
    rows = services.db.query(f"SELECT originator_id, version FROM {IMPORTED}")
    return {(r["originator_id"], int(r["version"])) for r in rows}


def kecamatan_aggregates(node: dict[str, Any]) -> dict[UUID, str]:
    return aggregate_ids(node["election"], node["contests"], node["region"], node["tps"])
