"""What a plenary has heard and decided, as its events leave it: objections (its own and those
carried up to it), supervisors' recommendations, corrections and re-votes, accepted anomalies
and the court's orders. The aggregate folds its events into this; the rules read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.plenary.terms import OrderKind, refused

Record = dict[str, Any]


@dataclass
class Minutes:
    code: str  # the plenary's region, which names its objections and recommendations
    objections: dict[str, Record] = field(default_factory=dict)  # raised here
    carried: dict[str, Record] = field(default_factory=dict)  # raised below, resolved here
    recommendations: dict[str, Record] = field(default_factory=dict)
    corrections: list[Record] = field(default_factory=list)
    accepted: dict[str, Record] = field(default_factory=dict)  # tps -> its hard anomaly accepted
    orders: list[Record] = field(default_factory=list)
    read: dict[str, Record] = field(default_factory=dict)  # tps -> its result read in plenary

    # -- what they say ------------------------------------------------------------------------

    def open_objections(self) -> list[Record]:
        return [o for o in self.objections.values() if o["resolution"] is None]

    def unanswered_recommendations(self) -> list[Record]:
        return [r for r in self.recommendations.values() if r["answer"] is None]

    def carried_up(self) -> list[Record]:
        """Objections this plenary refused, which the next tier must read out and resolve."""
        mine = [o for o in self.objections.values() if refused(o)]
        passed = [o for o in self.carried.values() if refused(o)]
        return mine + passed

    def knows_objection(self, objection_id: str) -> bool:
        return objection_id in self.objections or objection_id in self.carried

    def revote_order_for(self, tps: str) -> Record | None:
        for order in reversed(self.orders):
            if order["kind"] == OrderKind.RE_VOTE and (not order["tps"] or tps in order["tps"]):
                return order
        return None

    def next_objection_id(self) -> str:
        return f"{self.code}-{len(self.objections) + 1}"

    def next_recommendation_id(self) -> str:
        return f"{self.code}-r{len(self.recommendations) + 1}"

    def on_certificate(self) -> Record:
        """What a certificate records of the minutes."""
        return {
            "corrections": list(self.corrections),
            "objections": [*self.objections.values(), *self.carried.values()],
            "recommendations": list(self.recommendations.values()),
            "anomalies_accepted": list(self.accepted.values()),
            "results_read": list(self.read.values()),
        }

    # -- what the events write ----------------------------------------------------------------

    def objection(self, objection_id: str, raised_by: Record, **about: Any) -> None:
        self.objections[objection_id] = {
            "id": objection_id,
            "origin": self.code,
            **about,
            "raised_by": raised_by,
            "resolution": None,
        }

    def resolution(self, objection_id: str, carried: Record | None, **resolution: Any) -> None:
        entry = {**resolution, "at_plenary": self.code}
        if carried is not None:
            self.carried[objection_id] = {**carried, "resolution": entry}
        else:
            self.objections[objection_id]["resolution"] = entry

    def recommendation(self, recommendation_id: str, text: str, by: Record) -> None:
        self.recommendations[recommendation_id] = {
            "id": recommendation_id,
            "text": text,
            "by": by,
            "answer": None,
        }

    def answer(self, recommendation_id: str, **answer: Any) -> None:
        self.recommendations[recommendation_id]["answer"] = answer

    def correction(self, kind: str, **change: Any) -> None:
        """A correction or a re-vote: the TPS, versions, figures before and after, why, by whom."""
        self.corrections.append({"kind": kind, **change})

    def reading(self, tps: str, **reading: Any) -> None:
        """A TPS's first result, read from its C.Hasil in this plenary (its upload never came)."""
        self.read[tps] = {"tps": tps, **reading}

    def acceptance(self, tps: str, **acceptance: Any) -> None:
        self.accepted[tps] = {"tps": tps, **acceptance}
