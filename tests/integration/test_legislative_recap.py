"""The recap of legislative contests, on SQLite and PostgreSQL: whatever forms are posted and
corrected, every region and every district sums exactly the current forms of its TPS (party-only,
candidate and party totals inside a district, party figures above), a rebuild gives the same,
and a DPRD kab/kota certified at its kab/kota has final seats."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from domain.access import SYSTEM, Actor, Role
from domain.codes import is_within
from service.bootstrap import Services
from service.input import elections as given_elections
from service.input import load
from service.input import results as given_results
from service.input.plenary import CertificationSchema
from service.usecases import plenary as use
from service.usecases.elections import define_contest
from service.usecases.results import correct, submit
from tests.factories import DPT, ELECTION, TPS, kpps, setup_election, submission
from tests.legislative import dpr, dprd_kabkota, pemilu_form, section_iv

REGIONS = ["0", "91", "9101", "9102", "910101", "910102", "910201", "9101011001", "9101011002"]


@pytest.fixture
def ready(services: Services) -> Services:
    setup_election(services)
    for document in (dpr(), dprd_kabkota()):
        define_contest(services.setup, SYSTEM, ELECTION, given_elections.contest(document))
    return services


def random_form(rng: random.Random, contest: Any, tps: str) -> dict[str, Any]:
    district = contest.district_of(tps)
    votes = {
        p: (rng.randrange(0, 9), {c: rng.randrange(0, 13) for c in listed})
        for p, listed in district.ballot.items()
    }
    form = pemilu_form(DPT[tps], section_iv(votes))
    if rng.random() < 0.3:  # now and then a party total written wrong (R12)
        party = rng.choice(sorted(form["votes"]))
        form["votes"][party]["total"] += 1
    return form


def sums(forms: dict[str, dict[str, Any]], within: Any) -> dict[str, Counter[str]]:
    found: dict[str, Counter[str]] = {"party": Counter(), "total": Counter(), "cand": Counter()}
    for tps, form in forms.items():
        if not within(tps):
            continue
        for p, box in form["votes"].items():
            found["party"][p] += box["party"]
            found["total"][p] += box["total"]
            for c, n in box["candidates"].items():
                found["cand"][f"{p}.{c}"] += n
    return found


@pytest.mark.parametrize("seed", [1, 2])
def test_every_region_and_district_sums_the_current_forms_of_its_tps(
    ready: Services, seed: int
) -> None:
    rng = random.Random(seed)
    current: dict[str, dict[str, dict[str, Any]]] = {"dpr": {}, "dprd-9101": {}}
    for cid in current:
        contest = ready.queries.contest(ELECTION, cid)
        for tps in TPS:
            if not contest.covers(tps) or rng.random() < 0.15:
                continue
            form = random_form(rng, contest, tps)
            body = given_results.submission(tps, submission(form))
            submit(ready.results, kpps(tps), ELECTION, cid, body)
            current[cid][tps] = form
        for tps in rng.sample(sorted(current[cid]), 2):  # corrected: the delta replaces it
            form = random_form(rng, contest, tps)
            command = given_results.correction(tps, {"form": form, "reason": "recount"}, 1)
            correct(ready.results, kpps(tps), ELECTION, cid, command)
            current[cid][tps] = form
    ready.runner.catch_up()

    live = {}
    for cid, forms in current.items():
        contest = ready.queries.contest(ELECTION, cid)
        for code in (c for c in REGIONS if contest.covers(c)):
            doc = ready.queries.region(ELECTION, cid, code)
            live[(cid, code)] = doc
            expected = sums(forms, lambda tps, code=code: is_within(tps, code))
            assert doc["votes"] == {
                str(p.number): expected["total"][str(p.number)] for p in contest.parties
            }
            assert doc["tps_reported"] == sum(1 for t in forms if is_within(t, code))
            inside = contest.district_inside(code)
            if inside is None:
                assert "parties" not in doc and doc["districts"]
                continue
            for p, box in doc["parties"].items():
                assert box["party"] == expected["party"][p]
                assert box["total"] == expected["total"][p]
                assert {f"{p}.{c}": n for c, n in box["candidates"].items()} == {
                    k: v for k, v in expected["cand"].items() if k.startswith(f"{p}.")
                } | {f"{p}.{c}": 0 for c in box["candidates"] if f"{p}.{c}" not in expected["cand"]}
        for d in ready.queries.region(ELECTION, cid, contest.region).get("districts", []):
            district = contest.district(d["code"])
            mine = sums(forms, lambda tps, d=district, c=contest: c.district_of(tps) == d)
            assert d["votes"] == {
                str(p.number): mine["total"][str(p.number)] for p in contest.parties
            }
        hard = sum(
            1
            for f in forms.values()
            if any(
                b["party"] + sum(b["candidates"].values()) != b["total"]
                for b in f["votes"].values()
            )
        )
        assert ready.queries.region(ELECTION, cid, contest.region)["anomalies"]["hard"] == hard

    ready.runner.rebuild()
    for (cid, code), doc in live.items():
        assert ready.queries.region(ELECTION, cid, code) == doc


def test_a_dprd_kabkota_certified_at_its_kabkota_has_final_seats(ready: Services) -> None:
    forms = {
        tps: pemilu_form(
            DPT[tps],
            section_iv(
                {
                    "1": (10, {"1": 20 + i, "2": 5, "3": 1}),
                    "2": (4, {"1": 30, "2": 2 * i, "3": 0}),
                    "3": (1, {"1": 3, "2": 9, "3": 12}),
                }
            ),
        )
        for i, tps in enumerate(TPS[:5])
    }
    for tps, form in forms.items():
        submit(
            ready.results,
            kpps(tps),
            ELECTION,
            "dprd-9101",
            given_results.submission(tps, submission(form)),
        )
    ready.runner.catch_up()
    before = ready.queries.seats(ELECTION, "dprd-9101")
    assert before["status"] == "provisional"
    sign = load(CertificationSchema, {"signed_by": ["Ketua"]})
    for code in ("910101", "910102", "9101"):
        actor = Actor(
            id=f"official-{code}", role=Role.PPK if len(code) == 6 else Role.KPU_KABKOTA, scope=code
        )
        use.open_plenary(ready.plenary, actor, ELECTION, "dprd-9101", code)
        use.certify(ready.plenary, actor, ELECTION, "dprd-9101", code, sign)
    ready.runner.catch_up()
    after = ready.queries.seats(ELECTION, "dprd-9101")
    assert after["status"] == "final" and after["based_on"]["certified"] is True
    assert after["seats"] == before["seats"] and sum(after["seats"].values()) == 6
