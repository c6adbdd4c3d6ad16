"""What clients ask rekap to do, as typed values: each request body (or CLI file, or bulk item)
is loaded into one of these at the edge (service/input/), and a use case takes it as it is.

A C.Hasil form stays a document here: its shape depends on the contest (list names, candidate
numbers), so the domain reads it against its contest (domain/form.py `parse_form`), once.
Codes are undotted; texts are stripped and hold only what the store can keep.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.disputes import DisputeOutcome
from domain.plenary.terms import ObjectionSubject, OrderKind

Document = Mapping[str, Any]


@dataclass(frozen=True)
class EvidencePage:
    page: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"page": self.page, "sha256": self.sha256}


# -- setting up an election ----------------------------------------------------------------------


@dataclass(frozen=True)
class CreateElection:
    election_id: str
    name: str


@dataclass(frozen=True)
class LoadRegions:
    regions: tuple[tuple[str, str], ...]  # (code, name)
    tps: tuple[tuple[str, int], ...]  # (code, registered voters)

    def to_document(self) -> dict[str, Any]:
        return {
            "regions": [{"code": c, "name": n} for c, n in self.regions],
            "tps": [{"code": c, "dpt": d} for c, d in self.tps],
        }


# -- the results of a TPS ------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmitResult:
    tps: str
    submission_id: str
    form: Document
    captured_at: datetime | None = None
    evidence: tuple[EvidencePage, ...] = ()


@dataclass(frozen=True)
class CorrectResult:
    tps: str
    form: Document
    reason: str
    expected_version: int
    request_id: str | None = None
    objection_id: str | None = None
    evidence: tuple[EvidencePage, ...] = ()


# -- the plenary ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RaiseObjection:
    subject: ObjectionSubject
    detail: str
    target: str | None = None  # a TPS (subject tps), a child region (region), or free text


@dataclass(frozen=True)
class CorrectInPlenary:
    tps: str
    form: Document
    reason: str
    objection_id: str | None = None


@dataclass(frozen=True)
class ReadResultInPlenary:
    """The first result of a TPS whose upload never came, read from its sealed C.Hasil."""

    tps: str
    form: Document
    reason: str
    evidence: tuple[EvidencePage, ...] = ()


@dataclass(frozen=True)
class ResolveObjection:
    objection_id: str
    accepted: bool
    note: str
    correction: CorrectInPlenary | None = None


@dataclass(frozen=True)
class RecordRecommendation:
    text: str


@dataclass(frozen=True)
class AnswerRecommendation:
    recommendation_id: str
    followed: bool
    answer: str


@dataclass(frozen=True)
class AcceptAnomaly:
    tps: str
    reason: str


@dataclass(frozen=True)
class Refusal:
    by: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"by": self.by, "reason": self.reason}


@dataclass(frozen=True)
class Certify:
    signed_by: tuple[str, ...]
    refusals: tuple[Refusal, ...] = ()
    # The figures the certificate must hold (a certification replayed from a node): refused
    # when the figures here differ, rather than certify other figures than the node did.
    expect: Document | None = None


@dataclass(frozen=True)
class CourtOrder:
    kind: OrderKind
    ref: str
    tps: tuple[str, ...] = ()  # a re-vote's TPS

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "ref": self.ref, "tps": list(self.tps)}


@dataclass(frozen=True)
class Reopen:
    reason: str
    order: CourtOrder | None = None


@dataclass(frozen=True)
class RecordRevote:
    tps: str
    form: Document


# -- after the top plenary: disputes at the Court and the determination ---------------------------


@dataclass(frozen=True)
class FileDispute:
    ref: str  # the Court's case number, e.g. "PHPU 12/2025": one dispute per ref and contest
    detail: str


@dataclass(frozen=True)
class RuleOnDispute:
    outcome: DisputeOutcome
    detail: str
    plenaries: tuple[str, ...] = ()  # what a re-vote, re-count or re-recap reopens
    tps: tuple[str, ...] = ()  # a re-vote's TPS


@dataclass(frozen=True)
class Determine:
    signed_by: tuple[str, ...]
