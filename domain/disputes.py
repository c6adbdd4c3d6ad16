"""A dispute over a contest's certified result at the Constitutional Court (PHPU), and its ruling
(domain.md section 5, step 7): the Court rejects it, or orders a re-vote, a re-count or a
re-recap, which reopens the plenaries it names as a court order does (step 5)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import Conflict
from domain.ids import aggregate_id
from domain.plenary.terms import OrderKind


class DisputeOutcome(StrEnum):
    REJECTED = "rejected"
    RE_VOTE = "re_vote"
    RE_COUNT = "re_count"
    RE_RECAP = "re_recap"

    @property
    def order(self) -> OrderKind | None:
        """The court order a ruling of this outcome gives the plenaries it names."""
        return None if self is DisputeOutcome.REJECTED else OrderKind(self.value)


class Dispute(Aggregate):
    """One case at the Court over one contest's result, named by the Court's reference."""

    TOPIC = "rekap:Dispute"

    class Created(Aggregate.Created):
        TOPIC = "rekap:Dispute.Created"

    @staticmethod
    def create_id(election_id: str, contest_id: str, ref: str) -> UUID:
        return aggregate_id("dispute", election_id, contest_id, ref)

    @event("Filed", topic="rekap:Dispute.Filed")
    def __init__(
        self,
        election_id: str,
        contest_id: str,
        ref: str,
        detail: str,
        certificate: int,
        actor: dict[str, Any],
    ) -> None:
        """`certificate`: the number of the top plenary's certificate the dispute is over."""
        self.election_id = election_id
        self.contest_id = contest_id
        self.ref = ref
        self.detail = detail
        self.certificate = certificate
        self.ruling: dict[str, Any] | None = None

    @property
    def is_open(self) -> bool:
        return self.ruling is None

    def is_same_filing(self, detail: str) -> bool:
        return self.detail == detail

    def rule(
        self,
        *,
        outcome: DisputeOutcome,
        plenaries: list[str],
        tps: list[str],
        detail: str,
        actor: dict[str, Any],
    ) -> None:
        if not self.is_open:
            assert self.ruling is not None
            raise Conflict(f"dispute {self.ref} was ruled on already ({self.ruling['outcome']})")
        self._rule(
            election_id=self.election_id,
            contest_id=self.contest_id,
            outcome=outcome.value,
            plenaries=plenaries,
            tps=tps,
            detail=detail,
            actor=actor,
        )

    @event("Ruled", topic="rekap:Dispute.Ruled")
    def _rule(
        self,
        election_id: str,
        contest_id: str,
        outcome: str,
        plenaries: list[str],
        tps: list[str],
        detail: str,
        actor: dict[str, Any],
    ) -> None:
        self.ruling = {"outcome": outcome, "plenaries": plenaries, "tps": tps, "detail": detail}
