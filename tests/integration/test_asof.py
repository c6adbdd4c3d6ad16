"""As of: for random moments of a scenario, the replayed documents equal what was live then."""

from __future__ import annotations

import random
import uuid

from domain.errors import DomainError
from domain.tps_result import TpsResult
from service.audit.asof import region_as_of, resolve_as_of, tps_as_of
from service.bootstrap import Services
from service.results import correct, submit, submit_bulk
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
                submit_bulk(services.results, who, ELECTION, CONTEST, items)
            elif rng.random() < 0.6:
                body = submission(pilkada_form(DPT[tps], votes), str(uuid.uuid4()))
                submit(services.results, who, ELECTION, CONTEST, tps, body)
            else:
                current = services.app.get_or_none(TpsResult.create_id(ELECTION, CONTEST, tps))
                version = current.version if current else 1
                form = pilkada_form(DPT[tps], votes, invalid=rng.randint(0, 3))
                correct(
                    services.results,
                    who,
                    ELECTION,
                    CONTEST,
                    tps,
                    {"form": form, "reason": "as-of test"},
                    expected_version=version,
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
