"""Who wins (domain.md section 3), as pure functions of the vote counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from domain.codes import OVERSEAS
from domain.contests import EMPTY_COLUMN, WinnerRule

PRESIDENTIAL_PROVINCE_SHARE = 0.20


class VerdictStatus(StrEnum):
    DECIDED = "decided"
    RUNOFF = "runoff"
    PENDING = "pending"


@dataclass(frozen=True)
class Verdict:
    status: VerdictStatus
    rule: WinnerRule
    candidates: tuple[int, ...] = ()
    detail: str = ""
    facts: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "rule": self.rule.value,
            "candidates": list(self.candidates),
            "detail": self.detail,
            **({"facts": self.facts} if self.facts else {}),
        }


def _ranked(votes: Mapping[int, int]) -> list[tuple[int, int]]:
    return sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))


def _more_than_half(part: int, whole: int) -> bool:
    return whole > 0 and 2 * part > whole


def plurality(votes: Mapping[int, int]) -> Verdict:
    """Most votes wins. A tie for first place is left to the law's tie-break: pending."""
    ranked = _ranked(votes)
    if not ranked or ranked[0][1] == 0:
        return Verdict(VerdictStatus.PENDING, WinnerRule.PLURALITY, detail="no votes")
    tied = tuple(c for c, v in ranked if v == ranked[0][1])
    if len(tied) > 1:
        return Verdict(
            VerdictStatus.PENDING,
            WinnerRule.PLURALITY,
            tied,
            "tie for first place: the statutory tie-break decides",
        )
    return Verdict(VerdictStatus.DECIDED, WinnerRule.PLURALITY, (ranked[0][0],), "most valid votes")


def majority_runoff(votes: Mapping[int, int]) -> Verdict:
    """More than 50% of valid votes wins; otherwise the top two go to a run-off."""
    valid = sum(votes.values())
    ranked = _ranked(votes)
    if not ranked or valid == 0:
        return Verdict(VerdictStatus.PENDING, WinnerRule.MAJORITY_RUNOFF, detail="no votes")
    leader, lead_votes = ranked[0]
    if _more_than_half(lead_votes, valid):
        return Verdict(
            VerdictStatus.DECIDED,
            WinnerRule.MAJORITY_RUNOFF,
            (leader,),
            f"{_pct(lead_votes, valid)}% of valid votes, more than 50%",
        )
    return Verdict(
        VerdictStatus.RUNOFF,
        WinnerRule.MAJORITY_RUNOFF,
        tuple(c for c, _ in ranked[:2]),
        f"no pair above 50% (leader {_pct(lead_votes, valid)}%): run-off of the top two",
    )


def presidential(
    votes: Mapping[int, int], votes_by_province: Mapping[str, Mapping[int, int]]
) -> Verdict:
    """More than 50% nationally and at least 20% in more than half of the provinces.

    UU 7/2017 art. 416(1) counts the provinces of Indonesia: the overseas units (code 99) count
    in the national total only, never as a province.
    """
    valid = sum(votes.values())
    ranked = _ranked(votes)
    if not ranked or valid == 0:
        return Verdict(VerdictStatus.PENDING, WinnerRule.PRESIDENTIAL, detail="no votes")
    leader, lead_votes = ranked[0]
    domestic = [p for code, p in votes_by_province.items() if code != OVERSEAS]
    provinces = len(domestic)
    strong = sum(
        1
        for p in domestic
        if sum(p.values()) and p.get(leader, 0) >= PRESIDENTIAL_PROVINCE_SHARE * sum(p.values())
    )
    facts = {"provinces": provinces, "provinces_with_20_percent": strong}
    if _more_than_half(lead_votes, valid) and _more_than_half(strong, provinces):
        return Verdict(
            VerdictStatus.DECIDED,
            WinnerRule.PRESIDENTIAL,
            (leader,),
            f"{_pct(lead_votes, valid)}% nationally and at least 20% in {strong} of "
            f"{provinces} provinces",
            facts,
        )
    return Verdict(
        VerdictStatus.RUNOFF,
        WinnerRule.PRESIDENTIAL,
        tuple(c for c, _ in ranked[:2]),
        f"leader has {_pct(lead_votes, valid)}% nationally and at least 20% in "
        f"{strong} of {provinces} provinces: run-off of the top two",
        facts,
    )


def single_candidate(votes: Mapping[int, int]) -> Verdict:
    """The pair wins only with more than 50% of valid votes; otherwise the empty column wins."""
    valid = sum(votes.values())
    if valid == 0:
        return Verdict(VerdictStatus.PENDING, WinnerRule.SINGLE_CANDIDATE, detail="no votes")
    pair = next((c for c in votes if c != EMPTY_COLUMN), 1)
    if _more_than_half(votes.get(pair, 0), valid):
        return Verdict(
            VerdictStatus.DECIDED,
            WinnerRule.SINGLE_CANDIDATE,
            (pair,),
            f"the pair has {_pct(votes.get(pair, 0), valid)}% of valid votes",
        )
    return Verdict(
        VerdictStatus.DECIDED,
        WinnerRule.SINGLE_CANDIDATE,
        (EMPTY_COLUMN,),
        "the empty column wins: the election is held again",
    )


def decide(
    rule: WinnerRule,
    votes: Mapping[int, int],
    *,
    complete: bool,
    votes_by_province: Mapping[str, Mapping[int, int]] | None = None,
) -> Verdict:
    """The verdict of `rule`; pending (with the standing so far) until the count is complete."""
    if rule is WinnerRule.PLURALITY:
        verdict = plurality(votes)
    elif rule is WinnerRule.MAJORITY_RUNOFF:
        verdict = majority_runoff(votes)
    elif rule is WinnerRule.PRESIDENTIAL:
        verdict = presidential(votes, votes_by_province or {})
    else:
        verdict = single_candidate(votes)
    if complete or verdict.status is VerdictStatus.PENDING:
        return verdict
    return Verdict(
        VerdictStatus.PENDING,
        rule,
        verdict.candidates,
        f"not final until every result is in; so far: {verdict.detail}",
        verdict.facts,
    )


def _pct(part: int, whole: int) -> float:
    return round(100 * part / whole, 2) if whole else 0.0
