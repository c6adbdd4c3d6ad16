"""What each page of the public site shows, assembled from the read side's documents.

The pages call the same query objects as the API (never the HTTP API itself), so a figure on a
page is the figure of the JSON document at the same URL under /api/v1. Nothing here formats for
a language: the templates do, with the page's Locale.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from api.http import await_position
from domain.codes import NATION, Tier, chain_up_to, is_within, normalise, tier_of
from domain.contests import Contest
from domain.errors import NotFound
from domain.form import flatten, layout_for
from domain.plenary import Plenary
from service.audit.asof import region_and_plenary_as_of, resolve_as_of, tps_as_of
from service.audit.history import region_history, tps_history
from service.bootstrap import Services

NATION_NAME = "INDONESIA"
HISTORY_PAGE = 50


@dataclass(frozen=True)
class Ballot:
    """A candidate pair (or, on a legislative ballot, a party) as the pages list it."""

    key: str
    number: int
    name: str


@dataclass(frozen=True)
class Crumb:
    code: str
    name: str
    tier: str
    is_tps: bool = False


def ballot_of(contest: dict[str, Any], district: dict[str, Any] | None = None) -> list[Ballot]:
    """The ballot of a contest document: its candidate pairs, or its parties where it has them
    (DPD: the candidates of the district, the province, a region lies in)."""
    entries = contest.get("parties") or contest.get("candidates") or []
    if not entries and district is not None:
        found = [d for d in contest.get("districts", []) if d["code"] == district["code"]]
        entries = found[0]["candidates"] if found else []
    return [Ballot(str(e["number"]), int(e["number"]), str(e["name"])) for e in entries]


def _district_of(contest: Any, tps: str) -> dict[str, Any] | None:
    found = contest.district_of(tps) if contest.is_legislative else None
    return {"code": found.code} if found is not None else None


def _legislative(
    contest: dict[str, Any], document: dict[str, Any], ballot: list[Ballot]
) -> dict[str, Any] | None:
    """A legislative region: its districts (with the leading party), or, inside a district,
    each party's list with its party-only votes and its candidates' by name."""
    if "districts" not in contest:
        return None
    districts = [
        {**d, "leader": _leader(d["votes"], ballot)} for d in document.get("districts", [])
    ]
    lists = []
    inside = document.get("district")
    found = [d for d in contest["districts"] if inside and d["code"] == inside["code"]]
    names = {b.key: b for b in ballot}
    if found and isinstance(found[0]["candidates"], dict):
        for party, listed in found[0]["candidates"].items():
            box = document.get("parties", {}).get(party, {})
            lists.append(
                {
                    "party": names.get(party, Ballot(party, int(party), party)),
                    "party_votes": box.get("party", 0),
                    "total": box.get("total", 0),
                    "candidates": [
                        {**c, "votes": box.get("candidates", {}).get(str(c["number"]), 0)}
                        for c in listed
                    ],
                }
            )
    return {"district": inside, "districts": districts, "lists": lists}


def contest_document(services: Services, election_id: str, contest_id: str) -> dict[str, Any]:
    """The election's id and name, and the contest as its document (read once per process: a
    contest never changes once defined)."""
    contest = services.queries.contest(election_id, contest_id)
    names = {e["id"]: e["name"] for e in services.queries.elections()}
    election = {"id": election_id, "name": names.get(election_id, election_id)}
    return {"election": election, "contest": contest.to_dict()}


def _addressed(
    services: Services, election_id: str, contest_id: str, code: str
) -> tuple[str, dict[str, Any], Contest]:
    """What every page of a region or TPS starts from: its code (undotted), the election and
    contest documents, and the contest."""
    code = normalise(code)
    found = contest_document(services, election_id, contest_id)
    return code, found, services.queries.contest(election_id, contest_id)


def crumbs(services: Services, election_id: str, top: str, code: str) -> list[Crumb]:
    """The regions from the contest's top down to `code`, each with its name."""
    chain = list(reversed(chain_up_to(code, top)))
    names = services.queries.names(election_id, [c for c in chain if c != NATION])
    return [
        Crumb(
            c,
            NATION_NAME if c == NATION else names.get(c, c),
            tier_of(c).value,
            tier_of(c) is Tier.TPS,
        )
        for c in chain
    ]


def position_of(services: Services, as_of: str | None) -> int | None:
    """The log position an `as_of` names (a position or an ISO time); None for the present."""
    if as_of is None:
        return None
    position = resolve_as_of(services, as_of)
    await_position(position)  # a replica replays up to that moment before it answers for it
    return position


# -- a region ------------------------------------------------------------------------------------


def region_page(
    services: Services, election_id: str, contest_id: str, code: str, as_of: str | None
) -> dict[str, Any]:
    code, found, contest = _addressed(services, election_id, contest_id, code)
    position = position_of(services, as_of)
    plenary_tier = tier_of(code) in contest.plenary_tiers
    if position is None:
        document = services.queries.region(election_id, contest_id, code)
        plenary = services.queries.plenaries.plenary(contest, code) if plenary_tier else None
    else:
        document, plenary = region_and_plenary_as_of(
            services, election_id, contest_id, code, position
        )
    ballot = ballot_of(found["contest"], document.get("district"))
    children = [_child(c, ballot) for c in document.get("children", [])]
    return {
        **found,
        "ballot": ballot,
        "doc": document,
        "code": code,
        "position": position,
        "crumbs": crumbs(services, election_id, contest.region, code),
        "leader": _leader(document["votes"], ballot),
        "turnout": _turnout(document.get("figures")),
        "children": children,
        "children_are_tps": bool(children) and children[0]["is_tps"],
        "plenary": document.get("plenary"),
        "plenary_document": plenary,
        "comparison": _certified_against_current(document, ballot),
        "seats": _seats(services, election_id, found["contest"], code),
        "legislative": _legislative(found["contest"], document, ballot),
    }


def _child(child: dict[str, Any], ballot: list[Ballot]) -> dict[str, Any]:
    return {
        **child,
        "is_tps": child["tier"] == Tier.TPS.value,
        "leader": _leader(child["votes"], ballot),
    }


def _leader(votes: dict[str, int], ballot: list[Ballot]) -> Ballot | None:
    """The ballot entry with the most votes; None when nobody has any (or on a tie at the top)."""
    ranked = sorted(ballot, key=lambda b: -votes.get(b.key, 0))
    if not ranked or votes.get(ranked[0].key, 0) == 0:
        return None
    if len(ranked) > 1 and votes.get(ranked[1].key, 0) == votes.get(ranked[0].key, 0):
        return None
    return ranked[0]


def _turnout(figures: dict[str, Any] | None) -> dict[str, Any] | None:
    """Voters who voted against the DPT of the TPS that are in (both summed from their forms)."""
    if not figures:
        return None
    registered = figures.get("registered", {}).get("dpt", {}).get("j", 0)
    voted = figures.get("voted", {}).get("total", {}).get("j", 0)
    if not registered:
        return None
    return {"voted": voted, "registered": registered, "percent": round(100 * voted / registered, 2)}


def _certified_against_current(
    document: dict[str, Any], ballot: list[Ballot]
) -> list[dict[str, Any]] | None:
    """Rows of (label, certified, current, difference) once the region's plenary certified."""
    certified = (document.get("plenary") or {}).get("certified")
    if certified is None:
        return None
    rows = [
        {
            "ballot": b,
            "key": f"votes.{b.key}",
            "certified": certified["votes"].get(b.key, 0),
            "current": document["votes"].get(b.key, 0),
        }
        for b in ballot
    ]
    rows += [
        {"ballot": None, "key": k, "certified": certified[k], "current": document[k]}
        for k in ("valid", "invalid", "total")
    ]
    for row in rows:
        row["difference"] = row["current"] - row["certified"]
    return rows


def _seats(
    services: Services, election_id: str, contest: dict[str, Any], code: str
) -> dict[str, Any] | None:
    """The seat allocation of a legislative contest, shown on its top region's page.

    The read side answers it as `queries.seats(election, contest)` once legislative contests
    land; until then no contest has seats and the section is not shown."""
    seats = getattr(services.queries, "seats", None)
    if seats is None or "districts" not in contest or code != contest.get("region"):
        return None
    return seats(election_id, contest["id"])


# -- a TPS -----------------------------------------------------------------------------------------


def tps_page(
    services: Services, election_id: str, contest_id: str, code: str, as_of: str | None
) -> dict[str, Any]:
    code, found, contest = _addressed(services, election_id, contest_id, code)
    if tier_of(code) is not Tier.TPS or not is_within(code, contest.region):
        raise NotFound(f"{code} is not a TPS of contest {contest_id}")
    trail = crumbs(services, election_id, contest.region, code)
    if trail[-1].name == code:
        raise NotFound(f"no TPS {code} in election '{election_id}'")
    position = position_of(services, as_of)
    try:
        if position is None:
            document = services.queries.tps_result(election_id, contest_id, code)
        else:
            document = tps_as_of(services, election_id, contest_id, code, position)
    except NotFound:
        document = None
    page = {
        **found,
        "ballot": ballot_of(found["contest"], _district_of(contest, code)),
        "code": code,
        "position": position,
        "crumbs": trail,
        "doc": document,
        "layout": layout_for(contest.kind),
        "versions": [],
        "readings": [],
        "flagged": set(),
        "photos": [],
    }
    if document is not None:
        leaves = _leaves(services, election_id, contest_id, code, position)
        versions = [document["submitted"], *document["corrections"]]
        page["versions"] = [_version(v, leaves.get(v["position"])) for v in versions if v]
        page["readings"] = compared_readings(page["versions"])
        page["photos"] = _photos(services, document["evidence"])
        page["flagged"] = {f for a in document["anomalies"] for f in a["fields"]}
    return page


def _leaves(
    services: Services, election_id: str, contest_id: str, code: str, position: int | None
) -> dict[int, dict[str, Any]]:
    """The leaf hash and index of each event of the TPS's result, by log position."""
    found: dict[int, dict[str, Any]] = {}
    after = 0
    while True:
        page = tps_history(services, election_id, contest_id, code, after, 1000)
        for event in page["events"]:
            if position is None or event["position"] <= position:
                found[event["position"]] = {
                    "hash": event["leaf_hash"],
                    "index": event["leaf_index"],
                }
        if page["next_after"] is None:
            return found
        after = page["next_after"]


def _version(version: dict[str, Any], leaf: dict[str, Any] | None) -> dict[str, Any]:
    plenary = version.get("plenary") or None
    return {**version, "plenary_code": plenary["code"] if plenary else None, "leaf": leaf}


def _photos(services: Services, evidence: list[dict[str, Any]]) -> list[dict[str, Any]]:
    photos = []
    seen: set[str] = set()
    for page in evidence:
        digest = page["sha256"]
        if digest in seen:
            continue
        seen.add(digest)
        media_type = None
        with suppress(NotFound):  # named in the log, but not in this server's evidence directory
            media_type = services.evidence.open(digest)[1]
        photos.append({**page, "is_image": bool(media_type and media_type.startswith("image/"))})
    return photos


def compared_readings(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The boxes whose value differs between versions, each with its value in every version."""
    if len(versions) < 2:
        return []
    flats = [flatten(v["form"]) for v in versions]
    keys = list(flats[-1])
    for flat in flats[:-1]:
        keys += [k for k in flat if k not in keys]
    return [
        {"key": k, "values": [f.get(k) for f in flats]}
        for k in keys
        if len({f.get(k) for f in flats}) > 1
    ]


# -- history of a region -----------------------------------------------------------------------


def history_page(
    services: Services, election_id: str, contest_id: str, code: str, after: int
) -> dict[str, Any]:
    code, found, contest = _addressed(services, election_id, contest_id, code)
    history = region_history(services, election_id, contest_id, code, after, HISTORY_PAGE)
    plenaries = {}
    if any(e["type"].startswith("Plenary.") for e in history["events"]):
        plenaries = {
            str(Plenary.create_id(election_id, contest_id, p["code"])): p["code"]
            for p in services.queries.plenaries.plenaries(contest)
        }
    return {
        **found,
        "code": code,
        "crumbs": crumbs(services, election_id, contest.region, code),
        "events": [_event(e, plenaries) for e in history["events"]],
        "next_after": history["next_after"],
        "after": after,
    }


def _event(event: dict[str, Any], plenaries: dict[str, str]) -> dict[str, Any]:
    """An event of the log with what it is about: a TPS, or a plenary (named by its id)."""
    tps = event["payload"].get("tps") if event["type"].startswith("TpsResult.") else None
    return {
        **event,
        "subject_tps": tps if isinstance(tps, str) else None,
        "subject_plenary": plenaries.get(event["aggregate"]),
    }
