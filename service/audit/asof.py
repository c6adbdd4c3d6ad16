"""The recap and a TPS result as they stood at a log position or a moment, by replay.

The answer never reads the live projections' figures: the events that shape the document are
read from the log up to the position, folded by the same RecapProjection into scratch tables
of a private in-memory SQLite database, and answered by the same RecapQueries. So it equals
what the live projection showed when it had applied exactly that position.

Which events are replayed (and what that costs):
- a TPS: the election and contest definitions, the region batch of its kecamatan, and the
  events of its one result aggregate (ids are uuid5 of the natural key): a handful of
  indexed reads;
- a kab/kota, kecamatan or desa: the same set-up events, the region batches of the kecamatan
  under it (listed from the region table, which only set-up events fill), and the result
  events of every TPS in them, looked up by aggregate id 500 at a time: O(TPS under it) reads
  and folds, e.g. ~2,000 TPS for a kab/kota;
- a province, the nation, or the contest's own region: every region batch and every result
  event of the log up to the position (read by topic, a page at a time): O(position).
The events of the plenaries that bear on the document (at the region, above it and, for a
kab/kota, at the kecamatan below it; by aggregate id; every plenary event by topic for the
whole-log case) are replayed too, so the `plenary` part of a recap and a plenary's own document
are answered as they stood; so are the disputes and the determination (by topic, with the
whole log), which make the `result` of the contest's top region.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NamedTuple

from domain.codes import (
    PLENARY_TIERS,
    Tier,
    ancestors,
    is_within,
    normalise,
    tier_of,
    tps_code,
)
from domain.contests import Contest
from domain.election import ContestDefinition, Election, RegionBatch
from domain.errors import FieldError, InvalidInput
from domain.plenary import Plenary
from domain.tps_result import TpsResult
from service.audit.events import decode
from service.bootstrap import Services
from service.config import DatabaseConfig
from service.read.projections.base import LoggedEvent
from service.read.projections.disputes import DISPUTE_TOPICS, DisputeProjection
from service.read.projections.plenary import PLENARY_EVENTS, PlenaryProjection
from service.read.projections.recap import RecapProjection
from service.read.queries import RecapQueries
from service.store.db import Database
from service.store.eventlog import raw_events_of, raw_events_with_topics
from service.store.reference import ContestLookup

BATCH_TOPICS = ["rekap:RegionBatch.Loaded"]
PLENARY_TOPICS = [cls.TOPIC for cls in PLENARY_EVENTS]
APPLY_CHUNK = 1000


def resolve_as_of(services: Services, value: str) -> int:
    """A log position from `as_of`: a position (0 .. log head) or an ISO 8601 time.

    A time selects the last event recorded at or before it (times of events are server times
    in UTC, read from the audit tree's leaves; a time without a zone is taken as UTC).
    """
    text = str(value).strip()
    head = services.runner.head()
    if text.isdigit():
        position = int(text)
        if position > head:
            message = f"position {position} is beyond the log, whose last position is {head}"
            raise InvalidInput(message, [FieldError("as_of", message)])
        return position
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        message = "as_of is a log position or an ISO 8601 time (2024-11-27T14:05:00+07:00)"
        raise InvalidInput(message, [FieldError("as_of", message)]) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    found = services.reads.scalar(
        "SELECT MAX(position) FROM audit_leaf WHERE at <= %s", (moment.astimezone(UTC).isoformat(),)
    )
    return int(found or 0)


@contextmanager
def scratch_database() -> Iterator[Database]:
    """A private in-memory SQLite database (one per thread; closed afterwards)."""
    db = Database(DatabaseConfig(url="sqlite:///:memory:", dialect="sqlite", path=":memory:"))
    try:
        yield db
    finally:
        db.close()


@contextmanager
def _replayed(
    services: Services, raw: list[dict[str, Any]], election_id: str, contest_id: str, position: int
) -> Iterator[RecapQueries]:
    """The recap's queries on a scratch database into which `raw` was replayed."""
    with scratch_database() as db:
        _replay(services, db, raw, election_id, contest_id, position)
        yield RecapQueries(db, contests=services.ref.contest)


class Replayed(NamedTuple):
    code: str
    contest: Contest
    queries: RecapQueries


@contextmanager
def _region_replayed(
    services: Services, election_id: str, contest_id: str, code: str, position: int
) -> Iterator[Replayed]:
    """The recap's queries once the events that shaped the region up to `position` were
    replayed, with the region's code (normalised) and its contest."""
    code = normalise(code)
    contest = services.ref.contest(election_id, contest_id)
    raw = _events_shaping(services, contest, code, position)
    with _replayed(services, raw, election_id, contest_id, position) as queries:
        yield Replayed(code, contest, queries)


def region_as_of(
    services: Services, election_id: str, contest_id: str, code: str, position: int
) -> dict[str, Any]:
    with _region_replayed(services, election_id, contest_id, code, position) as at:
        return at.queries.region(election_id, contest_id, at.code)


def region_and_plenary_as_of(
    services: Services, election_id: str, contest_id: str, code: str, position: int
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A region's recap and (at a tier that holds one) its plenary, from a single replay: the
    public site shows both on one page."""
    with _region_replayed(services, election_id, contest_id, code, position) as at:
        region = at.queries.region(election_id, contest_id, at.code)
        plenary = None
        if tier_of(at.code) in at.contest.plenary_tiers:
            plenary = at.queries.plenaries.plenary(at.contest, at.code)
        return region, plenary


def _events_shaping(
    services: Services, contest: Contest, code: str, position: int
) -> list[dict[str, Any]]:
    """The events up to `position` that shape a region's recap or plenary.

    A province or the whole contest reads the log by topic; anything smaller is named by
    aggregate id (its TPS results and the plenaries under it)."""
    election_id, contest_id = contest.election_id, contest.contest_id
    if tier_of(code) in (Tier.NASIONAL, Tier.PROVINSI) or code == contest.region:
        raw = _setup_events(services, election_id, contest_id, position)
        raw += _by_topic(services, BATCH_TOPICS, position)
        raw += _by_topic(services, list(TpsResult.RESULT_TOPICS), position)
        raw += _by_topic(services, [*PLENARY_TOPICS, *sorted(DISPUTE_TOPICS)], position)
        return raw
    return _events_under(services, election_id, contest_id, code, position)


def tps_as_of(
    services: Services, election_id: str, contest_id: str, tps: str, position: int
) -> dict[str, Any]:
    tps = tps_code(tps)
    services.ref.contest(election_id, contest_id)
    raw = _events_under(services, election_id, contest_id, tps, position)
    with _replayed(services, raw, election_id, contest_id, position) as queries:
        return queries.tps_result(election_id, contest_id, tps)


def plenary_as_of(
    services: Services, election_id: str, contest_id: str, code: str, position: int
) -> dict[str, Any]:
    with _region_replayed(services, election_id, contest_id, code, position) as at:
        return at.queries.plenaries.plenary(at.contest, at.code)


def _setup_events(
    services: Services, election_id: str, contest_id: str, position: int
) -> list[dict[str, Any]]:
    ids = [Election.create_id(election_id), ContestDefinition.create_id(election_id, contest_id)]
    return raw_events_of(services.reads, ids, upto=position)


def _by_topic(services: Services, topics: list[str], position: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    after = 0
    while True:
        page = raw_events_with_topics(services.reads, topics, position, after, APPLY_CHUNK)
        found += page
        if len(page) < APPLY_CHUNK:
            return found
        after = page[-1]["position"]  # type: ignore[assignment]


def _kecamatan_under(services: Services, election_id: str, code: str) -> list[str]:
    tier = tier_of(code)
    if tier in (Tier.KECAMATAN, Tier.DESA, Tier.TPS):
        return [code[:6]]
    rows = services.reads.query(
        "SELECT code FROM region WHERE election_id = %s AND tier = %s AND code >= %s AND code < %s",
        (election_id, Tier.KECAMATAN.value, code, code + "~"),
    )
    return [r["code"] for r in rows]


def _events_under(
    services: Services, election_id: str, contest_id: str, code: str, position: int
) -> list[dict[str, Any]]:
    """Set-up events, the region batches under `code` and the results of its TPS."""
    raw = _setup_events(services, election_id, contest_id, position)
    keys = _kecamatan_under(services, election_id, code)
    batch_ids = [RegionBatch.create_id(election_id, k) for k in keys]
    batches = raw_events_of(services.reads, batch_ids, upto=position)
    tps: list[str] = []
    for batch in batches:
        event = decode(services.app, batch)
        tps += [t for t, _ in event.tps if is_within(t, code)]
    result_ids = [TpsResult.create_id(election_id, contest_id, t) for t in tps]
    results = raw_events_of(services.reads, result_ids, upto=position)
    plenaries = _plenary_codes(services, election_id, code)
    plenary_ids = [Plenary.create_id(election_id, contest_id, c) for c in plenaries]
    return raw + batches + results + raw_events_of(services.reads, plenary_ids, upto=position)


def _plenary_codes(services: Services, election_id: str, code: str) -> list[str]:
    """The plenaries that can bear on `code`: at it, above it, and below it."""
    codes = [code, *ancestors(code)]
    if tier_of(code) in (Tier.KABKOTA, Tier.PROVINSI):
        rows = services.reads.query(
            "SELECT code FROM region WHERE election_id = %s AND tier IN (%s, %s) "
            "AND code >= %s AND code < %s",
            (election_id, Tier.KECAMATAN.value, Tier.KABKOTA.value, code, code + "~"),
        )
        codes += [r["code"] for r in rows if r["code"] != code]
    return [c for c in codes if tier_of(c) in PLENARY_TIERS]


def _replay(
    services: Services,
    db: Database,
    raw: list[dict[str, Any]],
    election_id: str,
    contest_id: str,
    position: int,
) -> None:
    events = []
    for r in sorted(raw, key=lambda r: r["position"]):
        event = decode(services.app, r)
        if isinstance(event, PLENARY_EVENTS):
            pass  # later plenary events name only their plenary: keep every one
        elif getattr(event, "election_id", election_id) != election_id:
            continue
        if isinstance(event, TpsResult.RESULT_EVENTS) and event.contest_id != contest_id:
            continue
        events.append(LoggedEvent(r["position"], event))
    replay_recap(db, events, position, contests=services.ref.contest)


def replay_recap(
    db: Database,
    events: Iterable[LoggedEvent],
    position: int,
    progress: Callable[[int], None] | None = None,
    contests: ContestLookup | None = None,
) -> None:
    """Fold `events` (in log order) into fresh recap, plenary and dispute tables, as of `position`;
    `progress` hears how many are folded, a chunk at a time. Without `contests` (a published
    bundle checked offline) the contests come from the events replayed."""
    projections: list[Any] = [
        RecapProjection(contests=contests),
        PlenaryProjection(),
        DisputeProjection(),
    ]
    db.execute_script(
        [
            *(s for p in projections for s in p.create_statements()),
            "CREATE TABLE IF NOT EXISTS projection_position "
            "(name TEXT PRIMARY KEY, position BIGINT NOT NULL)",
        ]
    )
    with db.transaction() as tx:
        chunk: list[LoggedEvent] = []
        for done, event in enumerate(events, start=1):
            chunk.append(event)
            if len(chunk) == APPLY_CHUNK:
                for projection in projections:
                    projection.apply(tx, chunk)
                chunk = []
                if progress:
                    progress(done)
        for projection in projections:
            projection.apply(tx, chunk)
            tx.execute(
                "INSERT INTO projection_position (name, position) VALUES (%s, %s)",
                (projection.name, position),
            )
