"""The history of a region or a plenary: every event that shaped it, oldest first, from the log.

The history of a region in a contest is, in log order, every event of the TPS results of that
contest at TPS under the region, and every event of the contest's plenaries at the region and
at the kecamatan, kab/kota and province under it; at the contest's own region, also its
disputes at the Court and the determination of its result. Each event is given with its log
position, time, actor, payload, leaf record and leaf hash (as in `GET /api/v1/audit/events`).

What a page costs:
- a kab/kota, kecamatan or desa: the result aggregates are named by id (uuid5 of election,
  contest and TPS code, the TPS listed from the region table), looked up 500 ids per indexed
  query: O(TPS under the region / 500) queries per page (about 4 for a kab/kota);
- a province or the nation: the log is read by topic from `after` onwards and filtered, a page
  of 1000 at a time, until `limit` events are found: O(events read) per page, which on the
  national log is proportional to how far apart the region's events lie.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.codes import PLENARY_TIERS, Tier, is_within, normalise, tier_of, tps_code
from domain.determination import Determination
from domain.errors import InvalidInput, NotFound
from domain.plenary import Plenary
from domain.tps_result import TpsResult
from service.audit.events import check_page, decode, describe, leaf_indexes_at
from service.bootstrap import Services
from service.store.eventlog import raw_events_of, raw_events_with_topics

SCAN_PAGE = 1000


def region_history(
    services: Services,
    election_id: str,
    contest_id: str,
    code: str,
    after: int = 0,
    limit: int = 100,
) -> dict[str, Any]:
    check_page(after, limit)
    code = normalise(code)
    contest = services.ref.contest(election_id, contest_id)
    if tier_of(code) is Tier.TPS:
        raise InvalidInput(f"{code} is a TPS: its history is at .../tps/{code}/history")
    if not is_within(code, contest.region):
        raise NotFound(f"region {code} is not part of contest {contest_id}")
    if tier_of(code) not in (Tier.NASIONAL, Tier.PROVINSI) and not _has_region(
        services, election_id, code
    ):
        raise NotFound(f"no region {code} in election '{election_id}'")
    plenary_ids = [
        Plenary.create_id(election_id, contest_id, c)
        for c in _codes_under(services, election_id, code, plenaries=True)
    ]
    if code == contest.region:
        plenary_ids += _result_steps(services, election_id, contest_id)
    plenaries = raw_events_of(services.reads, plenary_ids, after, limit + 1)
    if tier_of(code) in (Tier.NASIONAL, Tier.PROVINSI):
        results = _scan_results(services, election_id, contest_id, code, after, limit + 1)
    else:
        tps = _codes_under(services, election_id, code, plenaries=False)
        ids = [TpsResult.create_id(election_id, contest_id, t) for t in tps]
        results = raw_events_of(services.reads, ids, after, limit + 1)
    merged = sorted(plenaries + results, key=lambda r: r["position"])
    page = _page(services, merged, limit)
    return {"election": election_id, "contest": contest_id, "code": code, **page}


def tps_history(
    services: Services,
    election_id: str,
    contest_id: str,
    tps: str,
    after: int = 0,
    limit: int = 100,
) -> dict[str, Any]:
    """Every event of one TPS result (by its aggregate id), oldest first, after log `after`."""
    check_page(after, limit)
    code = tps_code(tps)
    contest = services.ref.contest(election_id, contest_id)
    if tier_of(code) is not Tier.TPS or not is_within(code, contest.region):
        raise NotFound(f"TPS {tps} is not part of contest {contest_id}")
    services.ref.tps_dpt(election_id, code)
    page = _aggregate_page(
        services, TpsResult.create_id(election_id, contest_id, code), after, limit
    )
    return {"election": election_id, "contest": contest_id, "tps": code, **page}


def plenary_history(
    services: Services,
    election_id: str,
    contest_id: str,
    code: str,
    after: int = 0,
    limit: int = 100,
) -> dict[str, Any]:
    """Every event of one plenary (by its aggregate id), oldest first."""
    check_page(after, limit)
    code = normalise(code)
    services.ref.contest(election_id, contest_id)
    if tier_of(code) not in PLENARY_TIERS:
        raise NotFound(f"{code} is not a tier that holds plenaries")
    page = _aggregate_page(services, Plenary.create_id(election_id, contest_id, code), after, limit)
    return {"election": election_id, "contest": contest_id, "code": code, **page}


def _aggregate_page(
    services: Services, aggregate_id: UUID, after: int, limit: int
) -> dict[str, Any]:
    """One page of one aggregate's events after log position `after`, described for auditors."""
    return _page(services, raw_events_of(services.reads, [aggregate_id], after, limit + 1), limit)


def _page(services: Services, raw: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    """The first `limit` of `raw` (events in log order, one more if there is a next page),
    described for auditors, and where the next page starts."""
    page = raw[:limit]
    indexes = leaf_indexes_at(services.reads, [r["position"] for r in page])
    return {
        "events": [describe(services.app, r, indexes.get(r["position"])) for r in page],
        "next_after": page[-1]["position"] if len(raw) > limit else None,
    }


def _result_steps(services: Services, election_id: str, contest_id: str) -> list[UUID]:
    """The aggregates of what followed the top plenary: its disputes and the determination."""
    rows = services.reads.query(
        "SELECT dispute_id FROM dispute WHERE election_id = %s AND contest_id = %s",
        (election_id, contest_id),
    )
    return [
        *(UUID(r["dispute_id"]) for r in rows),
        Determination.create_id(election_id, contest_id),
    ]


def _has_region(services: Services, election_id: str, code: str) -> bool:
    return bool(
        services.reads.scalar(
            "SELECT COUNT(*) FROM region WHERE election_id = %s AND code = %s", (election_id, code)
        )
    )


def _codes_under(services: Services, election_id: str, code: str, *, plenaries: bool) -> list[str]:
    """Codes of the region's plenary tiers (itself included), or of its TPS."""
    low, high = ("", "~") if tier_of(code) is Tier.NASIONAL else (code, code + "~")
    tiers = [t.value for t in PLENARY_TIERS] if plenaries else [Tier.TPS.value]
    rows = services.reads.query(
        f"SELECT code FROM region WHERE election_id = %s AND code >= %s AND code < %s "
        f"AND tier IN ({', '.join(['%s'] * len(tiers))})",
        (election_id, low, high, *tiers),
    )
    codes = [r["code"] for r in rows]
    if plenaries and code not in codes:
        codes.append(code)
    return codes


def _scan_results(
    services: Services, election_id: str, contest_id: str, code: str, after: int, limit: int
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    upto = services.runner.head()
    while len(found) < limit:
        page = raw_events_with_topics(
            services.reads, list(TpsResult.RESULT_TOPICS), upto, after, SCAN_PAGE
        )
        for raw in page:
            event = decode(services.app, raw)
            if (
                event.election_id == election_id
                and event.contest_id == contest_id
                and is_within(event.tps, code)
            ):
                found.append(raw)
        if len(page) < SCAN_PAGE:
            break
        after = page[-1]["position"]
    return found[:limit]
