"""Small elections and forms for tests, built the way clients would send them."""

from __future__ import annotations

import copy
import uuid
from typing import TYPE_CHECKING, Any

from domain.access import SYSTEM, Actor, Role
from service.bootstrap import Services
from service.input import elections as given_elections
from service.input import results as given_results
from service.usecases.elections import create_election, define_contest, load_regions

if TYPE_CHECKING:
    from service.usecases.results import ResultOutcome

ELECTION = "test-2024"
CONTEST = "gub-99"
PILPRES = "ppwp"

# Province 91 with two kab/kota; kab 9101 has two kecamatan; small desa with a few TPS each.
TREE: dict[str, Any] = {
    "regions": [
        {"code": "91", "name": "PROVINSI UJI"},
        {"code": "9101", "name": "KAB SATU"},
        {"code": "9102", "name": "KAB DUA"},
        {"code": "910101", "name": "KEC SATU SATU"},
        {"code": "910102", "name": "KEC SATU DUA"},
        {"code": "910201", "name": "KEC DUA SATU"},
        {"code": "9101011001", "name": "DESA A"},
        {"code": "9101011002", "name": "DESA B"},
        {"code": "9101021001", "name": "DESA C"},
        {"code": "9102011001", "name": "DESA D"},
    ],
    "tps": [
        {"code": "9101011001001", "dpt": 250},
        {"code": "9101011001002", "dpt": 240},
        {"code": "9101011002001", "dpt": 300},
        {"code": "9101021001001", "dpt": 200},
        {"code": "9101021001002", "dpt": 210},
        {"code": "9102011001001", "dpt": 280},
    ],
}
TPS = [t["code"] for t in TREE["tps"]]
DPT = {t["code"]: t["dpt"] for t in TREE["tps"]}

GUBERNUR: dict[str, Any] = {
    "id": CONTEST,
    "kind": "gubernur",
    "region": "91",
    "winner_rule": "majority_runoff",
    "candidates": [
        {"number": 1, "name": "Pasangan Satu"},
        {"number": 2, "name": "Pasangan Dua"},
        {"number": 3, "name": "Pasangan Tiga"},
    ],
}


def setup_election(
    services: Services, contest: dict[str, Any] | None = None, election_id: str = ELECTION
) -> None:
    create_election(
        services.setup,
        SYSTEM,
        given_elections.election({"id": election_id, "name": "Pemilihan Uji 2024"}),
    )
    load_regions(services.setup, SYSTEM, election_id, [TREE])
    define_contest(
        services.setup, SYSTEM, election_id, given_elections.contest(contest or GUBERNUR)
    )


def split(total: int, men_share: float = 0.5) -> dict[str, int]:
    men = int(total * men_share)
    return {"l": men, "p": total - men, "j": total}


def pilkada_form(
    dpt: int, votes: dict[str, int], invalid: int = 2, dpph: int = 1, dptb: int = 1
) -> dict[str, Any]:
    """A consistent Pilkada C.Hasil (every hard and soft rule holds)."""
    valid = sum(votes.values())
    total = valid + invalid
    from_dpt = total - dpph - dptb
    reserve = -(-dpt * 2 // 100)
    return {
        "registered": {"dpt": split(dpt), "dpph": split(dpph), "dptb": split(dptb)},
        "voted": {
            "dpt": split(from_dpt),
            "dpph": split(dpph),
            "dptb": split(dptb),
            "total": _sum_splits(split(from_dpt), split(dpph), split(dptb)),
        },
        "ballots": {
            "received": dpt + reserve,
            "used": total,
            "returned": 1,
            "unused": dpt + reserve - total - 1,
        },
        "disabled_voted": split(min(2, total)),
        "votes": dict(votes),
        "valid": valid,
        "invalid": invalid,
        "total": total,
    }


def _sum_splits(*splits: dict[str, int]) -> dict[str, int]:
    return {k: sum(s[k] for s in splits) for k in ("l", "p", "j")}


def submission(form: dict[str, Any], submission_id: str | None = None) -> dict[str, Any]:
    return {
        "submission_id": submission_id or str(uuid.uuid4()),
        "captured_at": "2024-11-27T14:05:00+07:00",
        "form": copy.deepcopy(form),
    }


def kpps(tps: str) -> Actor:
    return Actor(id=f"kpps-{tps}", role=Role.KPPS, scope=tps)


def operator(kab: str) -> Actor:
    return Actor(id=f"operator-{kab}", role=Role.OPERATOR, scope=kab)


def poison_event(services: Services) -> tuple[int, str]:
    """An event stored through the application whose state the recap cannot read: what an
    event the projections cannot apply looks like to the runner (a NUL byte in a reason on
    PostgreSQL was one). Its log position and aggregate id."""
    from eventsourcing.persistence import StoredEvent

    aggregate = uuid.uuid4()
    services.app.recorder.insert_events(
        [
            StoredEvent(
                originator_id=aggregate,
                originator_version=1,
                topic="rekap:TpsResult.Submitted",
                state=b'{"not": "a submission"',
            )
        ]
    )
    return services.runner.head(), str(aggregate)


def tps_form(tps: str, votes: dict[str, int]) -> dict[str, Any]:
    """A consistent Pilkada form of a TPS of the test tree, with its DPT."""
    return pilkada_form(DPT[tps], votes)


def tps_body(tps: str, votes: dict[str, int], **extra: Any) -> dict[str, Any]:
    """A first-submission body of a TPS of the test tree (and `extra` fields, such as evidence)."""
    return {**submission(tps_form(tps, votes)), **extra}


def kpps_submits(services: Services, tps: str, body: dict[str, Any]) -> ResultOutcome:
    """The TPS's KPPS sends `body` as its first submission to the test contest."""
    from service.usecases.results import submit

    command = given_results.submission(tps, body)
    return submit(services.results, kpps(tps), ELECTION, CONTEST, command)


def kpps_corrects(
    services: Services, tps: str, body: dict[str, Any], version: int
) -> ResultOutcome:
    """The TPS's KPPS sends `body` as a correction of `version` of its result."""
    from service.usecases.results import correct

    command = given_results.correction(tps, body, version)
    return correct(services.results, kpps(tps), ELECTION, CONTEST, command)


def submit_votes(services: Services, tps: str, votes: dict[str, int]) -> int:
    """A consistent first submission of `tps` by its KPPS; its log position."""
    return kpps_submits(services, tps, tps_body(tps, votes)).position
