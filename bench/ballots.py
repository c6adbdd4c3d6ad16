"""Pieces of a generated legislative C.Hasil: the voter sections and the votes of section IV.

Sections I, II, III and V are those of the Pilpres form (Pemilu list names: registered `dpt`;
voted `dpt`, `dptb`, `dpk` and the form's `total` row), built consistent: R1-R10 hold whenever
the voters fit the TPS's ballots (DPT + 2 %, rounded up), which callers ensure. Section IV of a
party contest is `{"<party>": {"party": n, "candidates": {"<number>": n}, "total": n}}` (R12).
Votes are split by cumulative rounding over a profile of weights, so that the parts always add up
exactly to the whole, with no sort and no random draw per box.
"""

from __future__ import annotations

import math
import operator
import random
from collections.abc import Iterator, Sequence
from itertools import accumulate
from typing import Any

from bench.data import sections, split_sex, within
from domain.form import BOX_MAX, Form, Split
from domain.rules import ballot_allowance, check_form

Profile = tuple[float, ...]  # cumulative weights ending at 1.0


def voter_sections(rng: random.Random, dpt: int, valid: int, invalid: int) -> dict[str, Any]:
    """Every section but the votes, for `valid` + `invalid` voters at a TPS of `dpt` voters:
    a few of them moved in (DPTb) or came with an ID card only (DPK)."""
    voters = valid + invalid
    received = ballot_allowance(dpt)
    if voters > received:
        raise ValueError(f"{voters} voters do not fit the {received} ballots of a DPT of {dpt}")
    dptb = min(voters, rng.choice((0, 0, 1, 1, 2, 3)))
    dpk = min(voters - dptb, rng.choice((0, 0, 0, 1, 2, 4)))
    from_dpt = voters - dptb - dpk
    if from_dpt > dpt:  # a full TPS: the voters beyond its list came on the DPK
        dpk, from_dpt = dpk + from_dpt - dpt, dpt
    registered = split_sex(rng, dpt)
    voted = {"dpt": within(registered, from_dpt), "dptb": split_sex(rng, dptb)}
    voted["dpk"] = split_sex(rng, dpk)
    returned = rng.choice((0, 0, 0, 1, 2)) if received - voters >= 2 else 0
    return sections(rng, registered, voted, received, returned, valid, invalid)


def profile(weights: Sequence[float]) -> Profile:
    """Cumulative shares of `weights` (which need not add up to 1)."""
    whole = sum(weights)
    if whole <= 0:
        return tuple(float(i + 1) / len(weights) for i in range(len(weights)))
    cumulative = [w / whole for w in accumulate(weights)]
    cumulative[-1] = 1.0
    return tuple(cumulative)


def split(total: int, shares: Profile) -> list[int]:
    """`total` split by cumulative rounding over `shares`: the parts add up to it exactly."""
    upto = [int(total * edge + 0.5) for edge in shares]  # int() floors: both are >= 0
    return list(map(operator.sub, upto, [0, *upto[:-1]]))


def party_box(total: int, shares: Profile, numbers: Sequence[str]) -> dict[str, Any]:
    """One party's section IV entry: `shares` are those of party-only votes, then of each
    candidate (`numbers`, as strings) in ballot order."""
    parts = split(total, shares)
    return {"party": parts[0], "candidates": dict(zip(numbers, parts[1:])), "total": total}  # noqa: B905


def candidate_weights(rng: random.Random, count: int) -> list[float]:
    """How a list's votes fall: a few candidates take most, the first numbers more (the party's
    figurehead is often number 1), now and then a star lower on the list."""
    weights = []
    for number in range(1, count + 1):
        head = 2.2 if number == 1 else 1.4 if number == 2 else 1.0
        weights.append(head * math.exp(rng.gauss(0, 1.1)))
    if count > 2 and rng.random() < 0.25:
        weights[rng.randrange(count)] *= 4.0
    return weights


def list_profiles(
    rng: random.Random, base: Sequence[float], party_only: float, variants: int = 3
) -> list[Profile]:
    """A few local profiles of one party's list (party-only share first, then each candidate)
    from its `base` weights (candidate_weights): the same candidates lead everywhere, their
    margins vary from place to place."""
    whole = sum(base) or 1.0
    found = []
    for _ in range(variants):
        local = [w / whole * math.exp(rng.gauss(0, 0.35)) for w in base]
        scale = (1.0 - party_only) / (sum(local) or 1.0)
        found.append(profile([party_only, *(w * scale for w in local)]))
    return found


def leaning(seed: str, shares: Sequence[float], code: str, spreads: Sequence[float]) -> list[float]:
    """`shares` leaned by the regions of `code`: a province one way, a kab/kota further, ...
    (one spread per tier, widest first), deterministic by `seed` and region."""
    weights = list(shares)
    for length, spread in zip((2, 4, 6, 10), spreads, strict=False):
        rng = random.Random(f"{seed}:lean:{code[:length]}")
        weights = [w * math.exp(rng.gauss(0, spread)) for w in weights]
    return weights


def rule_breaches(form: dict[str, Any]) -> list[str]:
    """The rules a generated form breaks: R1-R10 as the domain checks them (on the party totals),
    R11 (every box 0-999) and R12 (party total = party-only + candidates; valid = their sum)."""

    def row(v: dict[str, int]) -> Split:
        return Split(v["l"], v["p"], v["j"])

    votes = form["votes"]
    totals = {k: (v["total"] if isinstance(v, dict) else v) for k, v in votes.items()}
    parsed = Form(
        {k: row(v) for k, v in form["registered"].items()},
        {k: row(v) for k, v in form["voted"].items()},
        dict(form["ballots"]),
        row(form["disabled_voted"]),
        totals,
        form["valid"],
        form["invalid"],
        form["total"],
    )
    found = [f"{a.rule}: {a.message}" for a in check_form(parsed)]
    for party, box in votes.items():
        if isinstance(box, dict) and box["party"] + sum(box["candidates"].values()) != box["total"]:
            found.append(f"R12: party {party}'s total is not party-only + its candidates")
    if not all(0 <= n <= BOX_MAX for n in _boxes(form)):
        found.append("R11: a box outside 0-999")
    return found


def _boxes(value: Any) -> Iterator[int]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _boxes(item)
    elif isinstance(value, int):
        yield value
