"""Where a contest holds its plenaries: the kecamatan up to the contest's own region."""

from __future__ import annotations

from domain.codes import TIER_ORDER, Tier, chain_up_to, is_within, parent_of, tier_of
from domain.contests import Contest
from domain.errors import NotFound


def plenary_tier(contest: Contest, code: str) -> Tier:
    """The tier of the plenary at `code`, or NotFound if this contest holds none there."""
    tier = tier_of(code)
    if tier not in contest.plenary_tiers or not is_within(code, contest.region):
        raise NotFound(
            f"contest {contest.contest_id} holds no plenary at {code} (its plenaries run from "
            f"the kecamatan up to {contest.region})"
        )
    return tier


def plenaries_above(contest: Contest, code: str) -> list[str]:
    """The plenary regions above `code` for this contest, nearest first."""
    parent = parent_of(code)
    if parent is None or not is_within(code, contest.region) or code == contest.region:
        return []
    return [c for c in chain_up_to(parent, contest.region) if tier_of(c) in contest.plenary_tiers]


def plenaries_below(contest: Contest, tps: str, code: str) -> list[str]:
    """The plenary regions strictly between a TPS and the plenary at `code`, lowest first."""
    chain = chain_up_to(tps[:6], contest.region)
    tier = TIER_ORDER.index(tier_of(code))
    return [c for c in chain if TIER_ORDER.index(tier_of(c)) > tier]


def next_plenary(contest: Contest, code: str) -> str | None:
    above = plenaries_above(contest, code)
    return above[0] if above else None
