"""As of: for random moments of a scenario, the replayed documents equal what was live then."""

from __future__ import annotations

import random
import uuid

from domain.access import Actor
from domain.errors import DomainError
from domain.tps_result import TpsResult
from service.audit.asof import region_as_of, resolve_as_of, tps_as_of
from service.bootstrap import Services
from service.input import load
from service.input import plenary as given_plenary
from service.input import results as given_results
from service.usecases.bulk import submit_bulk
from service.usecases.plenary import certify
from service.usecases.results import correct, submit
from tests.factories import (
    CONTEST,
    DPT,
    ELECTION,
    TPS,
    operator,
    pilkada_form,
    setup_election,
    submission,
)

REGIONS = ["91", "9101", "910101", "9101011001", "9102"]


def test_the_recap_replayed_as_of_a_random_moment_equals_the_live_recap_then(
    services: Services,
) -> None:
    rng = random.Random(20241127)  # seeded: a failure is reproducible
    setup_election(services)
    who = operator("91")
    captured: dict[int, dict[str, object]] = {}
    for step in range(14):
        tps = rng.choice(TPS)
        votes = {k: rng.randint(0, 80) for k in ("1", "2", "3")}
        try:
            if step % 5 == 4:
                items = [
                    {"tps": t, **submission(pilkada_form(DPT[t], votes))}
                    for t in rng.sample(TPS, 3)
                ]
                submit_bulk(
                    services.results,
                    who,
                    ELECTION,
                    CONTEST,
                    given_results.bulk_items(given_results.bulk_items(items)),
                )
            elif rng.random() < 0.6:
                body = submission(pilkada_form(DPT[tps], votes), str(uuid.uuid4()))
                submit(
                    services.results, who, ELECTION, CONTEST, given_results.submission(tps, body)
                )
            else:
                current = services.app.get_or_none(TpsResult.create_id(ELECTION, CONTEST, tps))
                version = current.version if current else 1
                form = pilkada_form(DPT[tps], votes, invalid=rng.randint(0, 3))
                correct(
                    services.results,
                    who,
                    ELECTION,
                    CONTEST,
                    given_results.correction(tps, {"form": form, "reason": "as-of test"}, version),
                )
        except DomainError:
            pass
        services.runner.catch_up()
        if rng.random() < 0.5:
            position = services.runner.position()
            code = rng.choice(REGIONS)
            captured[position] = {
                "region": (code, services.queries.region(ELECTION, CONTEST, code)),
                "tps": {
                    t: services.queries.tps_result(ELECTION, CONTEST, t)
                    for t in TPS
                    if _has_result(services, t)
                },
            }
    assert captured
    for position, live in captured.items():
        code, document = live["region"]  # type: ignore[misc]
        assert region_as_of(services, ELECTION, CONTEST, code, position) == document, position
        for tps, result in live["tps"].items():  # type: ignore[attr-defined]
            assert tps_as_of(services, ELECTION, CONTEST, tps, position) == result


def _has_result(services: Services, tps: str) -> bool:
    try:
        services.queries.tps_result(ELECTION, CONTEST, tps)
    except DomainError:
        return False
    return True


def test_a_time_selects_the_last_event_recorded_at_or_before_it(services: Services) -> None:
    setup_election(services)
    services.runner.catch_up()
    rows = services.db.query("SELECT position, at FROM audit_leaf ORDER BY position")
    middle = rows[len(rows) // 2]
    assert resolve_as_of(services, middle["at"]) >= middle["position"]
    assert resolve_as_of(services, "2000-01-01T00:00:00Z") == 0
    assert resolve_as_of(services, str(rows[-1]["position"])) == rows[-1]["position"]


def certify_as(ppk: Actor, services: Services, kecamatan: str) -> None:
    command = load(given_plenary.CertificationSchema, {"signed_by": ["Ketua PPK"]})
    certify(services.plenary, ppk, ELECTION, CONTEST, kecamatan, command)


def test_a_plenary_replayed_as_of_each_step_equals_the_plenary_then(services: Services) -> None:
    from domain.access import Role
    from service.audit.asof import plenary_as_of
    from service.usecases.plenary import open_plenary, raise_objection, resolve_objection

    setup_election(services)
    kecamatan = "910102"
    for tps in ("9101021001001", "9101021001002"):
        body = submission(pilkada_form(DPT[tps], {"1": 30, "2": 20, "3": 10}))
        submit(
            services.results,
            operator("9101"),
            ELECTION,
            CONTEST,
            given_results.submission(tps, body),
        )
    ppk = Actor(id="ppk", role=Role.PPK, scope=kecamatan)
    bawaslu = Actor(id="panwascam", role=Role.BAWASLU, scope=kecamatan)
    ctx = services.plenary
    contest = services.ref.contest(ELECTION, CONTEST)
    captured: dict[int, dict[str, object]] = {}

    def capture() -> None:
        services.runner.catch_up()
        captured[services.runner.position()] = services.queries.plenaries.plenary(
            contest, kecamatan
        )

    open_plenary(ctx, ppk, ELECTION, CONTEST, kecamatan)
    capture()
    raised = raise_objection(
        ctx,
        bawaslu,
        ELECTION,
        CONTEST,
        kecamatan,
        load(
            given_plenary.ObjectionSchema,
            {"subject": "procedure", "detail": "boxes arrived unsealed"},
        ),
    )
    capture()
    resolve_objection(
        ctx,
        ppk,
        ELECTION,
        CONTEST,
        kecamatan,
        given_plenary.resolution(
            raised.extra["objection_id"],
            load(
                given_plenary.ResolutionSchema,
                {"accepted": False, "note": "sealed at the PPS; the seals are intact"},
            ),
        ),
    )
    certify_as(ppk, services, kecamatan)
    capture()
    assert [doc["status"] for doc in captured.values()] == ["open", "open", "certified"]
    for position, live in captured.items():
        assert plenary_as_of(services, ELECTION, CONTEST, kecamatan, position) == live, position


def test_a_revote_is_seen_as_of_a_moment_after_it_at_the_top_of_the_contest(
    services: Services,
) -> None:
    from domain.access import Role
    from service.usecases.plenary import open_plenary, record_revote, reopen

    setup_election(services)
    for tps in TPS:
        body = submission(pilkada_form(DPT[tps], {"1": 30, "2": 20, "3": 10}))
        submit(
            services.results, operator("91"), ELECTION, CONTEST, given_results.submission(tps, body)
        )
    tps, kecamatan = TPS[5], "910201"
    ppk = Actor(id="ppk", role=Role.PPK, scope=kecamatan)
    ctx = services.plenary
    open_plenary(ctx, ppk, ELECTION, CONTEST, kecamatan)
    certify_as(ppk, services, kecamatan)
    order = {"kind": "re_vote", "ref": "MK 7/PHP.GUB/2025", "tps": [tps]}
    body = {"reason": "pemungutan suara ulang", "order": order}
    reopen(
        ctx,
        Actor("court", Role.COURT),
        ELECTION,
        CONTEST,
        kecamatan,
        load(given_plenary.ReopenSchema, body),
    )
    before = services.runner.head()
    revote = pilkada_form(DPT[tps], {"1": 5, "2": 90, "3": 15})
    record_revote(
        ctx,
        ppk,
        ELECTION,
        CONTEST,
        kecamatan,
        load(given_plenary.RevoteSchema, {"tps": tps, "form": revote}),
    )
    services.runner.catch_up()
    after = services.runner.head()

    for code in ("91", "9102"):  # the contest's own region reads the log by topic
        then = region_as_of(services, ELECTION, CONTEST, code, after)
        assert then == services.queries.region(ELECTION, CONTEST, code), code
        assert (
            then["votes"]["2"]
            - region_as_of(services, ELECTION, CONTEST, code, before)["votes"]["2"]
            == 70
        )
    assert tps_as_of(services, ELECTION, CONTEST, tps, after)["form"]["votes"]["2"] == 90
    from service.audit.history import region_history

    types = [e["type"] for e in region_history(services, ELECTION, CONTEST, "91")["events"]]
    assert types.count("TpsResult.Revoted") == 1
