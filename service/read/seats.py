"""The seats of a legislative contest (api.md, GET .../seats): provisional on the current
figures of its districts, final on the figures its top plenary certified (domain/seats.py
allocates them; this reads the figures and, only where a tie needs them, the spread of votes
over the district's TPS)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from domain.contests import Contest, District
from domain.errors import NotFound
from domain.plenary import PlenaryStatus
from domain.seats import (
    CandidateFigures,
    DistrictFigures,
    DistrictSeats,
    PartyFigures,
    allocate_district,
    elect_dpd,
    threshold,
)
from domain.ties import Spread, spread_of
from service.read.legislative import district_figures
from service.store.db import Database, Tx

Contender = tuple[int | None, int | None]  # (party, candidate): a party, a candidate of it, DPD


class SeatQueries:
    def __init__(self, db: Database, prefix: str = "") -> None:
        self.db = db
        self.p = prefix

    def seats(self, contest: Contest) -> dict[str, Any]:
        if not contest.is_legislative:
            raise NotFound(f"contest {contest.contest_id} elects no seats: it has a winner")
        with self.db.transaction(write=False) as tx:
            certified = self._certified(tx, contest)
            if certified is not None:
                number, position, figures = certified
                based_on = {"certificate": number, "position": position, "certified": True}
            else:
                figures = district_figures(tx, contest, self.p)
                position = tx.scalar(
                    "SELECT position FROM projection_position WHERE name = 'recap'"
                )
                based_on = {"position": int(position or 0), "certified": False}
            by_code = {d["code"]: (d.get("figures") or {}).get("votes", {}) for d in figures}
            districts = [_figures(contest, d, by_code.get(d.code, {})) for d in contest.districts]
            result = self._allocate(tx, contest, districts)
        return {
            "status": "final" if certified is not None else "provisional",
            "based_on": based_on,
            **result,
        }

    def _allocate(
        self, tx: Tx, contest: Contest, districts: list[DistrictFigures]
    ) -> dict[str, Any]:
        if not contest.kind.by_party:
            results = list(elect_dpd(districts).districts)
            passed = None
        else:
            passed = threshold(districts, contest.threshold)
            qualified = set(passed.qualified)
            results = [allocate_district(_only(d, qualified)) for d in districts]
        for i, (d, seats) in enumerate(zip(districts, results, strict=True)):
            if seats.ties:  # the law breaks a tie by the spread of votes: read only then
                spread = self._spreads(tx, contest, contest.districts[i])
                d = _with_spread(d, spread)
                results[i] = (
                    elect_dpd([d]).districts[0]
                    if not contest.kind.by_party
                    else allocate_district(_only(d, set(passed.qualified) if passed else set()))
                )
        won: dict[str, int] = defaultdict(int)
        for r in results:
            for number, n in r.allocation.items():
                won[r.code if not contest.kind.by_party else str(number)] += n
        return {
            "threshold": passed.to_dict() if passed else None,
            "seats": dict(sorted(won.items(), key=lambda kv: (len(kv[0]), kv[0]))),
            "districts": [_district(r, contest.districts[i]) for i, r in enumerate(results)],
        }

    def _certified(self, tx: Tx, contest: Contest) -> tuple[int, int, list[Any]] | None:
        """The top plenary's certificate, when it stands certified with district figures."""
        eid, cid = contest.election_id, contest.contest_id
        status = tx.scalar(
            f"SELECT status FROM {self.p}plenary WHERE election_id = %s AND contest_id = %s "
            "AND code = %s",
            (eid, cid, contest.region),
        )
        if status != PlenaryStatus.CERTIFIED.value:
            return None
        rows = tx.query(
            f"SELECT number, document, position FROM {self.p}plenary_certificate "
            "WHERE election_id = %s AND contest_id = %s AND code = %s ORDER BY number DESC LIMIT 1",
            (eid, cid, contest.region),
        )
        if not rows:
            return None
        figures = json.loads(rows[0]["document"])["figures"].get("districts")
        if figures is None:
            return None
        return rows[0]["number"], rows[0]["position"], figures

    def _spreads(self, tx: Tx, contest: Contest, district: District) -> dict[Contender, Spread]:
        """Where each party and candidate of the district got votes, TPS by TPS (the spread)."""
        where: dict[Contender, set[str]] = defaultdict(set)
        for region in district.regions:
            low, high = ("", "~") if region == "0" else (region, region + "~")
            rows = tx.query(
                f"SELECT tps, form FROM {self.p}result_current WHERE election_id = %s "
                "AND contest_id = %s AND tps >= %s AND tps < %s",
                (contest.election_id, contest.contest_id, low, high),
            )
            for row in rows:
                for key, box in json.loads(row["form"])["votes"].items():
                    if isinstance(box, dict):
                        if box["total"]:
                            where[(int(key), None)].add(row["tps"])
                        for c, n in box["candidates"].items():
                            if n:
                                where[(int(key), int(c))].add(row["tps"])
                    elif box:
                        where[(None, int(key))].add(row["tps"])
        return {k: spread_of(v) for k, v in where.items()}


def _figures(contest: Contest, district: District, votes: dict[str, Any]) -> DistrictFigures:
    names = district.names()
    if not contest.kind.by_party:
        return DistrictFigures(
            district.code,
            district.seats,
            candidates=tuple(
                CandidateFigures(c.number, votes.get(str(c.number), 0), c.name)
                for c in district.individuals
            ),
        )
    parties = []
    for party, listed in district.lists:
        box = votes.get(str(party)) or {}
        given = box.get("candidates", {})
        parties.append(
            PartyFigures(
                party,
                box.get("total", 0),
                candidates=tuple(
                    CandidateFigures(
                        c.number, given.get(str(c.number), 0), names[(party, c.number)]
                    )
                    for c in listed
                ),
            )
        )
    return DistrictFigures(district.code, district.seats, tuple(parties))


def _only(district: DistrictFigures, qualified: set[int]) -> DistrictFigures:
    parties = tuple(p for p in district.parties if p.number in qualified)
    return DistrictFigures(district.code, district.seats, parties)


def _with_spread(district: DistrictFigures, spread: dict[Contender, Spread]) -> DistrictFigures:
    def candidate(c: CandidateFigures, party: int | None) -> CandidateFigures:
        return CandidateFigures(c.number, c.votes, c.name, spread.get((party, c.number), ()))

    return DistrictFigures(
        district.code,
        district.seats,
        tuple(
            PartyFigures(
                p.number,
                p.votes,
                spread.get((p.number, None), ()),
                tuple(candidate(c, p.number) for c in p.candidates),
            )
            for p in district.parties
        ),
        tuple(candidate(c, None) for c in district.candidates),
    )


def _district(result: DistrictSeats, district: District) -> dict[str, Any]:
    return {"name": district.name, **result.to_dict()}
