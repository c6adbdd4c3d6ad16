"""A national election to benchmark with: the real 2024 region tree and generated C.Hasil forms.

Everything streams one kecamatan at a time (the whole nation is never in memory) and is
deterministic from a seed: the same seed gives the same forms, TPS by TPS, whatever subset of
provinces is generated. About 1.5 % of forms carry an anomaly (a hard rule broken by a slip of the
pen, or a soft one by too many votes); some of those get a correction.

These are the Pilpres forms; the legislative contests' forms are in bench/legislative.py and
bench/legislative_regional.py, the five contests together in bench/contests.py.
"""

from __future__ import annotations

import math
import random
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from service.data import wilayah

ELECTION_ID = "pemilu-2024-bench"
ELECTION_NAME = "Pemilu 2024 (benchmark)"
PILPRES_ID = "ppwp"
CAPTURED_AT = "2024-02-14T15:30:00+07:00"
ANOMALY_SHARE = 0.015
CORRECTED_SHARE = 0.3  # of the anomalous forms

PILPRES: dict[str, Any] = {
    "id": PILPRES_ID,
    "kind": "presiden",
    "region": "0",
    "winner_rule": "presidential",
    "name": "Pemilihan Presiden dan Wakil Presiden 2024",
    "candidates": [
        {"number": 1, "name": "Anies Baswedan - Muhaimin Iskandar"},
        {"number": 2, "name": "Prabowo Subianto - Gibran Rakabuming Raka"},
        {"number": 3, "name": "Ganjar Pranowo - Mahfud MD"},
    ],
}
# National shares of the valid votes in 2024 (KPU): provinces vary around them.
SHARES = (0.2495, 0.5858, 0.1647)


def region_documents(
    provinces: Collection[str] | None, seed: int = 2024
) -> Iterator[dict[str, Any]]:
    """The region tree, one kecamatan per document, ready for `load_regions`."""
    return wilayah.iter_region_chunks(provinces=provinces, seed=seed)


@dataclass(frozen=True)
class TpsForm:
    tps: str
    dpt: int
    form: dict[str, Any]
    anomaly: str | None  # the rule the form was made to break, if any
    correction: dict[str, Any] | None  # the corrected reading, for some anomalous forms

    def body(self, contest_id: str, seed: int) -> dict[str, Any]:
        """The submission as a client sends it (the same submission id for the same seed)."""
        return {
            "submission_id": f"bench-{seed}-{contest_id}-{self.tps}",
            "captured_at": CAPTURED_AT,
            "form": self.form,
        }


def kecamatan_forms(
    provinces: Collection[str] | None, contest_id: str, seed: int = 2024
) -> Iterator[tuple[str, list[TpsForm]]]:
    """(kecamatan code, the forms of its TPS) for every kecamatan, in code order."""
    for doc in region_documents(provinces, seed):
        kecamatan = doc["regions"][2]["code"]
        rng = random.Random(f"{seed}:{contest_id}:{kecamatan}")
        shares = _local_shares(seed, contest_id, kecamatan)
        yield kecamatan, [_tps_form(rng, t["code"], t["dpt"], shares) for t in doc["tps"]]


def forms(
    provinces: Collection[str] | None, contest_id: str, seed: int = 2024
) -> Iterator[TpsForm]:
    for _, found in kecamatan_forms(provinces, contest_id, seed):
        yield from found


def tps_count(provinces: Collection[str] | None) -> int:
    return wilayah.summary(provinces=provinces)["tps"]


def _local_shares(seed: int, contest_id: str, kecamatan: str) -> tuple[float, ...]:
    # A province leans one way, a kab/kota further, a kecamatan a little more.
    weights = list(SHARES)
    for depth, spread in ((2, 0.35), (4, 0.2), (6, 0.1)):
        rng = random.Random(f"{seed}:{contest_id}:lean:{kecamatan[:depth]}")
        weights = [w * math.exp(rng.gauss(0, spread)) for w in weights]
    total = sum(weights)
    return tuple(w / total for w in weights)


def split_sex(rng: random.Random, total: int) -> dict[str, int]:
    men = min(total, max(0, round(total * rng.uniform(0.46, 0.52))))
    return {"l": men, "p": total - men, "j": total}


def within(registered: dict[str, int], voters: int) -> dict[str, int]:
    """Voters from the DPT split like the DPT, never more men or women than registered."""
    men = min(registered["l"], round(voters * registered["l"] / max(registered["j"], 1)))
    women = voters - men
    if women > registered["p"]:
        men, women = men + women - registered["p"], registered["p"]
    return {"l": men, "p": women, "j": voters}


def sections(
    rng: random.Random,
    registered: dict[str, int],
    voted: dict[str, dict[str, int]],
    received: int,
    returned: int,
    valid: int,
    invalid: int,
    votes: dict[str, int] | None = None,
) -> dict[str, Any]:
    """A form from its counts: the voted total, the ballots, the disabled voters (drawn last
    from `rng`) and the votes, if given."""
    voters = valid + invalid
    voted["total"] = {k: sum(v[k] for v in voted.values()) for k in ("l", "p", "j")}
    return {
        "registered": {"dpt": registered},
        "voted": voted,
        "ballots": {
            "received": received,
            "used": voters,
            "returned": returned,
            "unused": received - voters - returned,
        },
        "disabled_voted": split_sex(rng, min(voters, rng.choice((0, 0, 1, 1, 2, 3)))),
        **({} if votes is None else {"votes": votes}),
        "valid": valid,
        "invalid": invalid,
        "total": voters,
    }


def _tps_form(rng: random.Random, tps: str, dpt: int, shares: tuple[float, ...]) -> TpsForm:
    turnout = min(0.98, max(0.45, rng.gauss(0.81, 0.07)))
    from_dpt = min(dpt, round(dpt * turnout))
    dptb = rng.randint(0, 3)
    dpk = rng.choice((0, 0, 0, 1, 2, 4))
    voters = from_dpt + dptb + dpk
    received = dpt + math.ceil(dpt * 0.02)
    voters = min(voters, received)
    dpk = max(0, voters - from_dpt - dptb)
    dptb = voters - from_dpt - dpk
    invalid = min(voters, round(voters * rng.uniform(0.005, 0.035)))
    valid = voters - invalid
    votes = _votes(rng, valid, shares)
    returned = rng.choice((0, 0, 0, 1, 2)) if received - voters >= 2 else 0
    dpt_split = split_sex(rng, dpt)
    voted = {
        "dpt": within(dpt_split, from_dpt),
        "dptb": split_sex(rng, dptb),
        "dpk": split_sex(rng, dpk),
    }
    form = sections(rng, dpt_split, voted, received, returned, valid, invalid, votes)
    if rng.random() >= ANOMALY_SHARE:
        return TpsForm(tps, dpt, form, None, None)
    broken, rule = _break(rng, form)
    correction = form if rng.random() < CORRECTED_SHARE else None
    return TpsForm(tps, dpt, broken, rule, correction)


def _votes(rng: random.Random, valid: int, shares: tuple[float, ...]) -> dict[str, int]:
    weights = [s * math.exp(rng.gauss(0, 0.25)) for s in shares]
    total = sum(weights)
    counts = [int(valid * w / total) for w in weights]
    counts[max(range(len(counts)), key=lambda i: weights[i])] += valid - sum(counts)
    return {str(i + 1): c for i, c in enumerate(counts)}


def _break(rng: random.Random, form: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A copy of the form with one realistic slip: the rule it breaks."""
    broken = {k: (dict(v) if isinstance(v, dict) else v) for k, v in form.items()}
    kind = rng.choice(("R4", "R4", "R1", "R5", "R9"))
    if kind == "R4":  # a candidate's tally copied wrong
        key = rng.choice(list(broken["votes"]))
        broken["votes"][key] = min(999, broken["votes"][key] + rng.randint(1, 30))
    elif kind == "R1":  # L + P != J on the DPT row
        row = dict(broken["registered"]["dpt"])
        row["j"] = min(999, row["j"] + rng.randint(1, 9))
        broken["registered"] = {"dpt": row}
    elif kind == "R5":  # invalid votes mistyped
        broken["invalid"] = min(999, broken["invalid"] + rng.randint(1, 20))
    else:  # more ballots received than DPT + 2 %
        ballots = dict(broken["ballots"])
        ballots["received"] = min(999, ballots["received"] + rng.randint(10, 60))
        ballots["unused"] = ballots["received"] - ballots["used"] - ballots["returned"]
        broken["ballots"] = ballots
    return broken, kind
