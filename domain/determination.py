"""The determination (penetapan) of a contest's result by the KPU of its top tier (domain.md
section 5, step 7), and every reason it must wait.

The certified result first waits out the contest's dispute window, counted from the top
plenary's certification (its latest one: a reopened and re-certified top starts the window
again), and every dispute filed at the Court must have its ruling. Each rule returns every
instance it finds, so the officials see the whole list at once, as a certification does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import FieldError
from domain.ids import aggregate_id
from domain.plenary.terms import PlenaryStatus


def window_closes_at(certified_at: datetime, hours: int) -> datetime:
    return certified_at + timedelta(hours=hours)


@dataclass(frozen=True)
class DeterminationFacts:
    """What the top tier knows when it asks to determine the result."""

    plenary: str  # the contest's top plenary (its region)
    status: PlenaryStatus
    now: datetime
    window_closes_at: datetime | None = None  # None until the top plenary certifies
    open_disputes: list[dict[str, str]] = field(default_factory=list)  # {dispute_id, ref}


def uncertified_result(facts: DeterminationFacts) -> list[FieldError]:
    if facts.status is PlenaryStatus.CERTIFIED:
        return []
    state = facts.status.value.replace("_", " ")
    return [FieldError("plenary", f"the plenary of {facts.plenary} is {state}, not certified")]


def dispute_window_open(facts: DeterminationFacts) -> list[FieldError]:
    closes = facts.window_closes_at
    if closes is None or facts.now >= closes:
        return []
    return [
        FieldError(
            "dispute_window",
            f"the dispute window is open until {closes.isoformat()} "
            f"({_duration(closes - facts.now)} from now)",
        )
    ]


def disputes_without_ruling(facts: DeterminationFacts) -> list[FieldError]:
    return [
        FieldError(f"disputes.{d['dispute_id']}", f"dispute {d['ref']} awaits the Court's ruling")
        for d in facts.open_disputes
    ]


RULES = (uncertified_result, dispute_window_open, disputes_without_ruling)


def blocking_reasons(facts: DeterminationFacts) -> list[FieldError]:
    """Every reason the result may not be determined now; empty when it may."""
    return [reason for rule in RULES for reason in rule(facts)]


def _duration(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 1)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


class Determination(Aggregate):
    """The determination of one contest's result: recorded once, on the certified figures."""

    TOPIC = "rekap:Determination"

    class Created(Aggregate.Created):
        TOPIC = "rekap:Determination.Created"

    @staticmethod
    def create_id(election_id: str, contest_id: str) -> UUID:
        return aggregate_id("determination", election_id, contest_id)

    @event("Recorded", topic="rekap:Determination.Recorded")
    def __init__(
        self,
        election_id: str,
        contest_id: str,
        region: str,
        tier: str,
        certificate: dict[str, Any],
        window: dict[str, Any],
        disputes: list[dict[str, Any]],
        result: dict[str, Any],
        figures: dict[str, Any],
        signed_by: list[str],
        actor: dict[str, Any],
    ) -> None:
        """`certificate`: the top plenary's certificate relied on (number, time, log position);
        `window`: its hours, when it opened and closed; `disputes`: each with its ruling;
        `result`: what the certificate decided (the winner rule's verdict; the seats where a
        contest has them); `figures`: the certified totals."""
        self.election_id = election_id
        self.contest_id = contest_id
        self.region = region
        self.certificate = certificate
