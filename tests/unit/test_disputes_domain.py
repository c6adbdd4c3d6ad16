"""The rules after the top plenary, with no I/O: what holds a determination back, the window,
a dispute's single ruling, and the stable topics of their events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.contests import DISPUTE_WINDOW_HOURS, Contest
from domain.determination import (
    Determination,
    DeterminationFacts,
    blocking_reasons,
    window_closes_at,
)
from domain.disputes import Dispute, DisputeOutcome
from domain.errors import Conflict
from domain.plenary import OrderKind, Plenary, PlenaryStatus
from tests.factories import ELECTION, GUBERNUR

CERTIFIED_AT = datetime(2024, 12, 8, 7, 5, tzinfo=UTC)
COURT = {"id": "mk", "role": "court"}


def facts(**changes: object) -> DeterminationFacts:
    base: dict[str, object] = {
        "plenary": "91",
        "status": PlenaryStatus.CERTIFIED,
        "now": CERTIFIED_AT + timedelta(hours=72),
        "window_closes_at": window_closes_at(CERTIFIED_AT, 72),
    }
    return DeterminationFacts(**{**base, **changes})  # type: ignore[arg-type]


def fields(f: DeterminationFacts) -> list[str]:
    return [reason.field for reason in blocking_reasons(f)]


def test_a_result_may_be_determined_once_certified_the_window_passed_and_no_dispute_open() -> None:
    assert fields(facts()) == []


def test_every_reason_that_holds_a_determination_back_is_given_at_once() -> None:
    open_dispute = {"dispute_id": "d-1", "ref": "PHPU 1/2025"}
    early = facts(now=CERTIFIED_AT + timedelta(hours=71, minutes=30), open_disputes=[open_dispute])
    assert fields(early) == ["dispute_window", "disputes.d-1"]
    [window, dispute] = blocking_reasons(early)
    assert "30 min from now" in window.message and "PHPU 1/2025" in dispute.message
    reopened = facts(status=PlenaryStatus.REOPENED, window_closes_at=None)
    assert fields(reopened) == ["plenary"]
    assert "reopened, not certified" in blocking_reasons(reopened)[0].message
    assert fields(facts(status=PlenaryStatus.NOT_OPEN, window_closes_at=None)) == ["plenary"]


@given(hours=st.integers(0, 720), after=st.integers(-(10**6), 10**6))
@settings(max_examples=50, deadline=None)
def test_the_window_closes_its_hours_after_the_certification_and_not_a_second_earlier(
    hours: int, after: int
) -> None:
    closes = window_closes_at(CERTIFIED_AT, hours)
    assert closes - CERTIFIED_AT == timedelta(hours=hours)
    now = closes + timedelta(seconds=after)
    held = fields(facts(now=now, window_closes_at=closes))
    assert held == ([] if after >= 0 else ["dispute_window"])


def test_a_contest_waits_72_hours_unless_its_definition_says_otherwise() -> None:
    contest = Contest.from_dict(ELECTION, GUBERNUR)
    assert contest.dispute_window_hours == DISPUTE_WINDOW_HOURS == 72
    shorter = Contest.from_dict(ELECTION, {**GUBERNUR, "dispute_window_hours": 0})
    assert shorter.dispute_window_hours == 0
    assert Contest.from_dict(ELECTION, shorter.to_dict()) == shorter


def test_a_dispute_is_ruled_on_once() -> None:
    dispute = Dispute(
        election_id=ELECTION,
        contest_id="gub-99",
        ref="PHPU 1/2025",
        detail="selisih",
        certificate=1,
        actor=COURT,
    )
    assert dispute.is_open and dispute.is_same_filing("selisih")
    dispute.rule(
        outcome=DisputeOutcome.RE_COUNT, plenaries=["910102"], tps=[], detail="x", actor=COURT
    )
    assert not dispute.is_open and dispute.ruling is not None
    assert dispute.ruling["outcome"] == "re_count"
    with pytest.raises(Conflict, match="ruled on already"):
        dispute.rule(outcome=DisputeOutcome.REJECTED, plenaries=[], tps=[], detail="y", actor=COURT)


def test_a_ruling_orders_what_a_court_order_does_and_a_rejection_orders_nothing() -> None:
    assert DisputeOutcome.REJECTED.order is None
    assert [o.order for o in DisputeOutcome if o.order] == [
        OrderKind.RE_VOTE,
        OrderKind.RE_COUNT,
        OrderKind.RE_RECAP,
    ]


def test_one_dispute_per_case_number_and_one_determination_per_contest() -> None:
    first = Dispute.create_id(ELECTION, "gub-99", "PHPU 1/2025")
    assert first == Dispute.create_id(ELECTION, "gub-99", "PHPU 1/2025")
    assert first != Dispute.create_id(ELECTION, "gub-99", "PHPU 2/2025")
    assert first != Dispute.create_id(ELECTION, "bup-9101", "PHPU 1/2025")
    assert Determination.create_id(ELECTION, "gub-99") != Determination.create_id(ELECTION, "x")


def test_the_events_after_the_top_plenary_have_explicit_stable_topics() -> None:
    topics = {
        Dispute.Filed: "rekap:Dispute.Filed",  # type: ignore[attr-defined]
        Dispute.Ruled: "rekap:Dispute.Ruled",
        Determination.Recorded: "rekap:Determination.Recorded",  # type: ignore[attr-defined]
        Plenary.ResultStepNoted: "rekap:Plenary.ResultStepNoted",
    }
    assert {cls: cls.TOPIC for cls in topics} == topics
    assert Dispute.TOPIC == "rekap:Dispute" and Determination.TOPIC == "rekap:Determination"
