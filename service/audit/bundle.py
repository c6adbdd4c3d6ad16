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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domain.codes import Tier, is_within
from service.audit.compact import CompactRange
from service.audit.events import catch_up_quietly, decode, iter_events
from service.audit.findings import Phases, quiet
from service.audit.leaves import check_record, record_leaf_hash, state_of
from service.audit.signing import TreeHead, verify_tree_head
from service.audit.trusted import TrustedInputError, public_key_from
from service.bootstrap import Services
from service.read.projections.base import LoggedEvent
from service.read.queries import RecapQueries

HEAD_FILE = "tree-head.json"
EVENTS_FILE = "events.ndjson"
RECAPS_FILE = "recaps.ndjson"
EVERY = 1000  # events or recaps between two progress updates


def publish_bundle(services: Services, directory: Path, phases: Phases = quiet) -> dict[str, Any]:
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
    with (
        phases("publish: events", head.size) as bar,
        (directory / EVENTS_FILE).open("w", encoding="utf-8") as out,
    ):
        for event in iter_events(services.app, services.db, 0, position):
            out.write(json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n")
            count += 1
            if count % EVERY == 0:
                bar.update(count)
        bar.update(count)
    recaps = 0
    live_position = services.runner.position()
    regions = _regions(services)
    with (
        phases("publish: recaps", len(regions)) as bar,
        (directory / RECAPS_FILE).open("w", encoding="utf-8") as out,
    ):
        for eid, cid, code in regions:
            if live_position == position:
                recap = services.queries.region(eid, cid, code)
            else:  # the log moved on meanwhile: answer as of the head, by replay
                from service.audit.asof import region_as_of

                recap = region_as_of(services, eid, cid, code, position)
            line = {"election": eid, "contest": cid, "code": code, "recap": recap}
            out.write(json.dumps(line, separators=(",", ":"), ensure_ascii=False) + "\n")
            recaps += 1
            if recaps % 100 == 0:
                bar.update(recaps)
        bar.update(recaps)
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
        for contest in services.queries.election(eid, brief=True)["contests"]:
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
    failures: int = 0

    def passed(self, message: str) -> None:
        self.messages.append(f"pass: {message}")

    def failed(self, message: str) -> None:
        self.ok = False
        self.failures += 1
        self.messages.append(f"FAIL: {message}")

    def verdict(self) -> str:
        if self.ok:
            return "OK"
        return f"FAILED ({self.failures:,} {'check' if self.failures == 1 else 'checks'} failed)"


def check_bundle(
    directory: Path, public_key: str | None = None, phases: Phases = quiet
) -> BundleCheck:
    """Check a bundle from its files alone; never raises on what the files hold."""
    result = BundleCheck()
    try:
        manifest = json.loads((directory / HEAD_FILE).read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("it is not a JSON object")
        head = TreeHead.from_dict(manifest.get("tree_head"))
        position = manifest.get("position", 0)
        if not isinstance(position, int) or isinstance(position, bool) or position < 0:
            raise ValueError("position is not a log position")
    except (OSError, ValueError, RecursionError) as exc:
        result.failed(f"{HEAD_FILE} cannot be read: {exc}")
        return result
    key = public_key
    if not public_key:
        result.messages.append(
            "note: the public key is the bundle's own; pass --public-key to trust"
        )
        try:
            key = public_key_from(str(manifest.get("public_key", "")), f"{HEAD_FILE} public_key")
        except TrustedInputError as exc:
            result.failed(str(exc))
    if key is not None:
        if verify_tree_head(head, key):
            result.passed(f"tree head signature is valid (size {head.size}, root {head.root})")
        else:
            result.failed(
                f"tree head signature is invalid (size {head.size}, key_id {head.key_id})"
            )
    events = _check_events(directory, head, result, phases)
    if events is not None:
        _check_recaps(directory, events, position, result, phases)
    return result


def _check_events(
    directory: Path, head: TreeHead, result: BundleCheck, phases: Phases
) -> list[LoggedEvent] | None:
    """Every line's leaf and fields, and the root of them all; the decoded events to replay."""
    app = _decoder()
    tree = CompactRange()
    events: list[LoggedEvent] = []
    try:
        with (
            phases("check-bundle: events", head.size) as bar,
            (directory / EVENTS_FILE).open(encoding="utf-8") as lines,
        ):
            for number, line in enumerate(lines, start=1):
                _check_event(app, number, line, tree, events, result)
                if number % EVERY == 0:
                    bar.update(number)
            bar.update(tree.size)
    except (OSError, UnicodeDecodeError) as exc:
        result.failed(f"{EVENTS_FILE} cannot be read: {exc}")
        return None
    if tree.size != head.size:
        result.failed(f"{EVENTS_FILE} has {tree.size} events, the tree head {head.size}")
    elif tree.root().hex() != head.root:
        result.failed(
            f"the root of {EVENTS_FILE} is {tree.root().hex()}, the head says {head.root}"
        )
    else:
        result.passed(f"the {tree.size} events of {EVENTS_FILE} have the signed root")
    return events


def _check_event(
    app: Any,
    number: int,
    line: str,
    tree: CompactRange,
    events: list[LoggedEvent],
    result: BundleCheck,
) -> None:
    where = f"{EVENTS_FILE} line {number}"
    try:
        event = json.loads(line)
    except (ValueError, RecursionError) as exc:
        result.failed(f"{where} is not JSON: {exc}")
        return
    if not isinstance(event, dict):
        result.failed(f"{where} is not an object")
        return
    record = event.get("record")
    problem = check_record(record)
    if problem:
        result.failed(f"{where}: {problem}")
        return
    assert isinstance(record, dict)
    computed = record_leaf_hash(record).hex()
    if event.get("leaf_hash") != computed:
        result.failed(
            f"{where} (position {record['position']}): leaf_hash "
            f"{event.get('leaf_hash')!r} is not the hash of its record ({computed})"
        )
    if (event.get("position"), event.get("version")) != (
        record["position"],
        record["originator_version"],
    ) or event.get("aggregate") != record["originator_id"]:
        result.failed(f"{where}: fields disagree with its record")
    tree.append(bytes.fromhex(computed))
    try:
        events.append(LoggedEvent(record["position"], _decode(app, record)))
    except Exception as exc:  # a record whose bytes are no event of rekap's
        result.failed(f"{where} (position {record['position']}) cannot be decoded: {exc}")


def _decoder() -> Any:
    from service.store.application import Rekap

    return Rekap(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def _decode(app: Any, record: dict[str, Any]) -> Any:
    """The domain event of a bundle's leaf record (whose state is encoded in the record)."""
    return decode(app, {**record, "state": state_of(record)})


def _check_recaps(
    directory: Path,
    events: list[LoggedEvent],
    position: int,
    result: BundleCheck,
    phases: Phases,
) -> None:
    from service.audit.asof import replay_recap, scratch_database

    path = directory / RECAPS_FILE
    if not path.exists():
        result.failed(f"{RECAPS_FILE} is missing")
        return
    with scratch_database() as db:
        try:
            with phases("check-bundle: replay", len(events)) as bar:
                replay_recap(db, events, position, bar.update)
                bar.update(len(events))
        except Exception as exc:  # events a projection cannot apply: nothing to compare with
            result.failed(f"{EVENTS_FILE} cannot be replayed: {exc}")
            return
        queries = RecapQueries(db)
        passed = differ = 0
        try:
            with path.open(encoding="utf-8") as lines:
                total = sum(1 for _ in lines)
            with phases("check-bundle: recaps", total) as bar, path.open(encoding="utf-8") as lines:
                for number, line in enumerate(lines, start=1):
                    if _check_recap(queries, number, line, result):
                        passed += 1
                    else:
                        differ += 1
                    if number % 100 == 0:
                        bar.update(number)
                bar.update(passed + differ)
        except (OSError, UnicodeDecodeError) as exc:
            result.failed(f"{RECAPS_FILE} cannot be read: {exc}")
    if differ:
        verb = "does" if differ == 1 else "do"
        result.failed(
            f"{differ:,} of {passed + differ:,} recaps of {RECAPS_FILE} {verb} not equal a replay "
            f"of {EVENTS_FILE}"
        )
    if passed:
        result.passed(f"{passed:,} recaps of {RECAPS_FILE} equal a replay of {EVENTS_FILE}")


def _check_recap(queries: RecapQueries, number: int, line: str, result: BundleCheck) -> bool:
    """One published recap against the replay; False (with a FAIL message) unless equal."""
    where = f"{RECAPS_FILE} line {number}"
    try:
        item = json.loads(line)
        names = (item["election"], item["contest"], item["code"])
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        result.failed(f"{where} is not a recap line {{election, contest, code, recap}} ({exc})")
        return False
    try:
        expected = queries.region(*names)
    except Exception as exc:
        result.failed(f"{where}: replay has no such recap ({exc})")
        return False
    published = item.get("recap")
    if published == json.loads(json.dumps(expected)):
        return True
    fields = sorted(
        k
        for k in expected
        if not isinstance(published, dict)
        or published.get(k) != json.loads(json.dumps(expected[k]))
    )
    result.failed(
        f"{where} ({' '.join(str(n) for n in names)}): differs from the replay in "
        f"{', '.join(fields) or 'its fields'}"
    )
    return False
