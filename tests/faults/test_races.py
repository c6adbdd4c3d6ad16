"""Concurrent racers on one TPS, on the live server (issue 10).

Many clients submit different first readings of one TPS at the same instant, while others send
the same submission again and again (a client retrying): exactly one reading wins (201), every
retry of the winner is answered 200 with the winner's very answer, every other reading 409.
Corrections racing with the same If-Match: exactly one 201, the others 412. The store then
holds the winner and nothing of the losers.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from typing import Any

import pytest

from tests.faults.conftest import Recorder
from tests.faults.load import form_for, read_until_there
from tests.faults.province import Province
from tests.faults.servers import Answer, call

pytestmark = pytest.mark.slow

RACERS = 16  # half of them retry one shared submission, half bring readings of their own
ROUNDS = 3  # TPS raced one after the other
CORRECTION_ROUNDS = 5  # more: a loser answered 409 (not 412) needs its save to lose the race


def race(requests: list[tuple[str, dict[str, Any], dict[str, str]]]) -> list[Answer]:
    """Send every (url, body, headers) at the same instant, each from its own thread."""
    answers: list[Answer | None] = [None] * len(requests)
    barrier = threading.Barrier(len(requests))

    def client(i: int) -> None:
        url, body, headers = requests[i]
        barrier.wait(timeout=30)
        answers[i] = call(url, "POST", body, headers=headers, timeout=60)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert all(a is not None for a in answers), "a racer never got an answer"
    return [a for a in answers if a is not None]


def test_racing_first_readings_of_one_tps_give_one_winner_identical_retries_and_409s(
    province: Province, record: Recorder
) -> None:
    statuses: Counter[int] = Counter()
    for _ in range(ROUNDS):
        tps = province.take()
        assert tps is not None
        auth = {"Authorization": f"Bearer {province.operator(tps)}"}
        retried = {"submission_id": str(uuid.uuid4()), "form": form_for(tps, province.dpt[tps])}
        bodies = [
            retried
            if i % 2 == 0
            else {
                "submission_id": str(uuid.uuid4()),
                "form": form_for(tps, province.dpt[tps], seed=str(i)),
            }
            for i in range(RACERS)
        ]
        answers = race([(f"{province.url}/tps/{tps}/submissions", b, auth) for b in bodies])
        statuses.update(a.status for a in answers)

        created = [i for i, a in enumerate(answers) if a.status == 201]
        assert len(created) == 1, [a.status for a in answers]
        winner, answer = bodies[created[0]], answers[created[0]].json
        for body, other in zip(bodies, answers, strict=True):
            if other is answers[created[0]]:
                continue
            if body is winner:
                assert other.status == 200 and other.json == answer, (other.status, other.body)
            else:
                assert other.status == 409 and other.json["code"] == "conflict", other.body
        province.acknowledged(tps, winner["form"])
        # and once more after the race, a late retry of the winner and of one loser
        url = f"{province.url}/tps/{tps}/submissions"
        late = call(url, "POST", winner, headers=auth)
        assert late.status == 200 and late.json == answer, (late.status, late.body)
        loser = next(b for b in bodies if b["submission_id"] != winner["submission_id"])
        assert call(url, "POST", loser, headers=auth).status == 409
        statuses.update((200, 409))

        stored = read_until_there(f"{province.url}/tps/{tps}?wait_for={answer['position']}")
        assert stored.status == 200
        assert stored.json["version"] == 1 and stored.json["form"] == winner["form"]
        assert stored.json["submitted"]["submission_id"] == winner["submission_id"]
    lost = province.check_nothing_lost()
    record(
        f"{RACERS} racers on one TPS x{ROUNDS}",
        province.backend,
        requests=sum(statuses.values()),
        acknowledged=statuses[201] + statuses[200],
        refused=statuses[409],
        lost=lost,
        note=f"answers {dict(sorted(statuses.items()))}",
    )


def test_racing_corrections_with_the_same_if_match_give_exactly_one_201_and_412s(
    province: Province, record: Recorder
) -> None:
    statuses: Counter[int] = Counter()
    not_412: list[str] = []
    for _ in range(CORRECTION_ROUNDS):
        tps = province.take()
        assert tps is not None
        auth = {"Authorization": f"Bearer {province.operator(tps)}"}
        first = {"submission_id": str(uuid.uuid4()), "form": form_for(tps, province.dpt[tps])}
        submitted = call(f"{province.url}/tps/{tps}/submissions", "POST", first, headers=auth)
        assert submitted.status == 201, submitted.body
        province.acknowledged(tps, first["form"])

        bodies = [
            {
                "form": form_for(tps, province.dpt[tps], seed=f"fix-{i}"),
                "reason": f"dibaca ulang, pembaca {i}",
            }
            for i in range(RACERS)
        ]
        fix = {**auth, "If-Match": '"1"'}
        answers = race([(f"{province.url}/tps/{tps}/corrections", b, fix) for b in bodies])
        statuses.update(a.status for a in answers)

        created = [i for i, a in enumerate(answers) if a.status == 201]
        assert len(created) == 1, [a.status for a in answers]
        others = [a for a in answers if a.status != 201]
        assert all(a.status in (409, 412) for a in others), [(a.status, a.body) for a in others]
        not_412 += [a.json["detail"] for a in others if a.status != 412]
        winner, answer = bodies[created[0]], answers[created[0]].json
        assert answer["version"] == 2
        province.acknowledged(tps, winner["form"])

        stored = read_until_there(f"{province.url}/tps/{tps}?wait_for={answer['position']}")
        assert stored.status == 200
        assert stored.json["version"] == 2 and stored.json["form"] == winner["form"]
        assert [c["reason"] for c in stored.json["corrections"]] == [winner["reason"]]
    lost = province.check_nothing_lost()
    record(
        f"{RACERS} corrections, one If-Match x{CORRECTION_ROUNDS}",
        province.backend,
        requests=sum(statuses.values()),
        acknowledged=statuses[201],
        refused=statuses[412] + statuses[409],
        lost=lost,
        note=f"answers {dict(sorted(statuses.items()))}",
    )
    assert not not_412, f"{len(not_412)} racing corrections not answered 412: {not_412[:3]}"
