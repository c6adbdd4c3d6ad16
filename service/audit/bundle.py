"""A static publication anyone can verify offline (`rekap audit publish` / `check-bundle`).

A bundle is a directory of three files:

- `tree-head.json`: `{"tree_head": {...signed head...}, "public_key": "<base64>",
  "position": <log position of the head's last leaf>}`;
- `events.ndjson`: the log up to that head, one event per line as `GET /api/v1/audit/events`
  answers it (with its `record`, the exact bytes its leaf commits to, see service.audit.leaves);
- `recaps.ndjson`: `{"election", "contest", "code", "recap"}` per line, for every region of every
  contest (desa upwards), as `GET .../regions/{code}` answered at that position.

`check_bundle` recomputes every leaf and the root from `events.ndjson` and checks the head's
signature; then it replays the events into an in-memory recap with the same projection code
and compares every published recap with it. It needs nothing but the bundle (and, to trust it,
the public key obtained elsewhere).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domain.codes import Tier, is_within
from service.audit.compact import CompactRange
from service.audit.events import catch_up_quietly, iter_events
from service.audit.leaves import check_record, record_leaf_hash, state_of
from service.audit.signing import TreeHead, verify_tree_head
from service.bootstrap import Services
from service.projections.base import LoggedEvent
from service.queries import RecapQueries

HEAD_FILE = "tree-head.json"
EVENTS_FILE = "events.ndjson"
RECAPS_FILE = "recaps.ndjson"
Progress = Callable[[int, int], None]


def publish_bundle(
    services: Services, directory: Path, progress: Progress | None = None
) -> dict[str, Any]:
    from service.audit.log import AuditLog

    audit = AuditLog.of(services)
    catch_up_quietly(services)
    audit.publish()
    head = audit.latest()
    position = int(
        services.db.scalar(
            "SELECT position FROM audit_leaf WHERE leaf_index = %s", (head.size - 1,)
        )
    )
    directory.mkdir(parents=True, exist_ok=True)
    count = 0
    with (directory / EVENTS_FILE).open("w", encoding="utf-8") as out:
        for event in iter_events(services.app, services.db, 0, position):
            out.write(json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n")
            count += 1
            if progress and count % 1000 == 0:
                progress(count, head.size)
    recaps = 0
    live_position = services.runner.position()
    with (directory / RECAPS_FILE).open("w", encoding="utf-8") as out:
        for eid, cid, code in _regions(services):
            if live_position == position:
                recap = services.queries.region(eid, cid, code)
            else:  # the log moved on meanwhile: answer as of the head, by replay
                from service.audit.asof import region_as_of

                recap = region_as_of(services, eid, cid, code, position)
            line = {"election": eid, "contest": cid, "code": code, "recap": recap}
            out.write(json.dumps(line, separators=(",", ":"), ensure_ascii=False) + "\n")
            recaps += 1
    manifest = {
        "tree_head": head.to_dict(),
        "public_key": audit.signer.public_key_b64(),
        "position": position,
    }
    (directory / HEAD_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return {"events": count, "recaps": recaps, **manifest}


def _regions(services: Services) -> list[tuple[str, str, str]]:
    found = []
    for election in services.queries.elections():
        eid = election["id"]
        for contest in services.queries.election(eid)["contests"]:
            cid = contest["id"]
            rows = services.db.query(
                "SELECT code FROM region WHERE election_id = %s AND tier <> %s ORDER BY code",
                (eid, Tier.TPS.value),
            )
            found += [
                (eid, cid, r["code"]) for r in rows if is_within(r["code"], contest["region"])
            ]
    return found


@dataclass
class BundleCheck:
    ok: bool = True
    messages: list[str] = field(default_factory=list)

    def passed(self, message: str) -> None:
        self.messages.append(f"pass: {message}")

    def failed(self, message: str) -> None:
        self.ok = False
        self.messages.append(f"FAIL: {message}")


def check_bundle(directory: Path, public_key: str | None = None) -> BundleCheck:
    result = BundleCheck()
    try:
        manifest = json.loads((directory / HEAD_FILE).read_text(encoding="utf-8"))
        head = TreeHead.from_dict(manifest.get("tree_head"))
    except (OSError, ValueError) as exc:
        result.failed(f"{HEAD_FILE} cannot be read: {exc}")
        return result
    key = public_key or manifest.get("public_key")
    if not public_key:
        result.messages.append(
            "note: the public key is the bundle's own; pass --public-key to trust"
        )
    if verify_tree_head(head, key):
        result.passed(f"tree head signature is valid (size {head.size}, root {head.root})")
    else:
        result.failed(f"tree head signature is invalid (size {head.size}, key_id {head.key_id})")
    app = _decoder()
    tree = CompactRange()
    events: list[LoggedEvent] = []
    try:
        with (directory / EVENTS_FILE).open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                event = json.loads(line)
                record = event.get("record")
                problem = check_record(record)
                if problem:
                    result.failed(f"{EVENTS_FILE} line {number}: {problem}")
                    continue
                computed = record_leaf_hash(record).hex()
                if event.get("leaf_hash") != computed:
                    result.failed(
                        f"{EVENTS_FILE} line {number} (position {record['position']}): leaf_hash "
                        f"{event.get('leaf_hash')!r} is not the hash of its record ({computed})"
                    )
                if (event.get("position"), event.get("version")) != (
                    record["position"],
                    record["originator_version"],
                ) or event.get("aggregate") != record["originator_id"]:
                    result.failed(f"{EVENTS_FILE} line {number}: fields disagree with its record")
                tree.append(bytes.fromhex(computed))
                events.append(LoggedEvent(record["position"], _decode(app, record)))
    except (OSError, ValueError) as exc:
        result.failed(f"{EVENTS_FILE} cannot be read: {exc}")
        return result
    if tree.size != head.size:
        result.failed(f"{EVENTS_FILE} has {tree.size} events, the tree head {head.size}")
    elif tree.root().hex() != head.root:
        result.failed(
            f"the root of {EVENTS_FILE} is {tree.root().hex()}, the head says {head.root}"
        )
    else:
        result.passed(f"the {tree.size} events of {EVENTS_FILE} have the signed root")
    _check_recaps(directory, events, int(manifest.get("position", 0)), result)
    return result


def _decoder() -> Any:
    from service.application import Rekap

    return Rekap(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def _decode(app: Any, record: dict[str, Any]) -> Any:
    from eventsourcing.persistence import StoredEvent

    return app.mapper.to_domain_event(
        StoredEvent(
            originator_id=record["originator_id"],
            originator_version=record["originator_version"],
            topic=record["topic"],
            state=state_of(record),
        )
    )


def _check_recaps(
    directory: Path, events: list[LoggedEvent], position: int, result: BundleCheck
) -> None:
    from service.audit.asof import replay_recap, scratch_database

    path = directory / RECAPS_FILE
    if not path.exists():
        result.failed(f"{RECAPS_FILE} is missing")
        return
    with scratch_database() as db:
        replay_recap(db, events, position)
        queries = RecapQueries(db)
        checked = 0
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                item = json.loads(line)
                try:
                    expected = queries.region(item["election"], item["contest"], item["code"])
                except Exception as exc:
                    result.failed(f"{RECAPS_FILE} line {number}: replay has no such recap ({exc})")
                    continue
                published = item.get("recap")
                if published != json.loads(json.dumps(expected)):
                    fields = sorted(
                        k for k in expected if published is None or published.get(k) != expected[k]
                    )
                    result.failed(
                        f"{RECAPS_FILE} line {number} ({item['election']} {item['contest']} "
                        f"{item['code']}): differs from the replay in {', '.join(fields)}"
                    )
                checked += 1
    result.passed(f"{checked} recaps of {RECAPS_FILE} equal a replay of {EVENTS_FILE}")
