"""The recap plenary of one contest at one region (domain.md section 5), as an aggregate.

One plenary per contest and region at the tiers kecamatan, kab/kota, provinsi and nasional. It is
opened, hears objections (keberatan) and supervisors' recommendations, corrects TPS figures
beneath it, accepts hard anomalies with a written reason, certifies (D.Hasil), and may be
reopened. Every step is an event; the rules that need no outside facts are checked here, before
the event; those that need the figures and the children's states are in certification.py.
"""

from __future__ import annotations

import copy
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.codes import TIER_ORDER, Tier, chain_up_to, is_within, parent_of, tier_of
from domain.contests import Contest
from domain.errors import Conflict, InvalidInput, NotFound
from domain.ids import aggregate_id


class PlenaryStatus(StrEnum):
    NOT_OPEN = "not_open"
    OPEN = "open"
    CERTIFIED = "certified"
    REOPENED = "reopened"  # open again after a certificate was superseded


class ObjectionSubject(StrEnum):
    TPS = "tps"
    REGION = "region"
    PROCEDURE = "procedure"


class OrderKind(StrEnum):
    RE_RECAP = "re_recap"
    RE_COUNT = "re_count"
    RE_VOTE = "re_vote"


class TierLocked(Conflict):
    """A certified or plenary-held tier refuses a change from below it."""

    code = "tier_locked"


class Plenary(Aggregate):
    TOPIC = "rekap:Plenary"

    class Created(Aggregate.Created):
        TOPIC = "rekap:Plenary.Created"

    class ObjectionRaised(Aggregate.Event):
        TOPIC = "rekap:Plenary.ObjectionRaised"
        objection_id: str
        subject: str
        target: str | None
        detail: str
        actor: dict[str, Any]

    class ObjectionResolved(Aggregate.Event):
        TOPIC = "rekap:Plenary.ObjectionResolved"
        objection_id: str
        accepted: bool
        note: str
        carried: dict[str, Any] | None  # the objection, when it came up from a tier below
        carried_to: str | None  # the plenary a refused objection goes to next, if any
        actor: dict[str, Any]

    class RecommendationRecorded(Aggregate.Event):
        TOPIC = "rekap:Plenary.RecommendationRecorded"
        recommendation_id: str
        text: str
        actor: dict[str, Any]

    class RecommendationAnswered(Aggregate.Event):
        TOPIC = "rekap:Plenary.RecommendationAnswered"
        recommendation_id: str
        followed: bool
        answer: str
        actor: dict[str, Any]

    class CorrectionRecorded(Aggregate.Event):
        TOPIC = "rekap:Plenary.CorrectionRecorded"
        tps: str
        from_version: int
        to_version: int
        before: dict[str, Any]
        after: dict[str, Any]
        reason: str
        objection_id: str | None
        actor: dict[str, Any]

    class RevoteRecorded(Aggregate.Event):
        TOPIC = "rekap:Plenary.RevoteRecorded"
        tps: str
        from_version: int
        to_version: int
        before: dict[str, Any]
        after: dict[str, Any]
        order: dict[str, Any]
        actor: dict[str, Any]

    class AnomalyAccepted(Aggregate.Event):
        TOPIC = "rekap:Plenary.AnomalyAccepted"
        tps: str
        result_version: int
        rules: list[str]
        reason: str
        actor: dict[str, Any]

    class Certified(Aggregate.Event):
        TOPIC = "rekap:Plenary.Certified"
        number: int
        certificate: dict[str, Any]
        actor: dict[str, Any]

    class Reopened(Aggregate.Event):
        TOPIC = "rekap:Plenary.Reopened"
        reason: str
        order: dict[str, Any] | None
        supersedes: int  # the certificate number that is superseded
        cascade_from: str | None  # the lower plenary whose reopening reopened this one
        actor: dict[str, Any]

    class BelowReopened(Aggregate.Event):
        """A plenary under this open one was reopened (noted in the minutes; guards races)."""

        TOPIC = "rekap:Plenary.BelowReopened"
        code: str
        reason: str
        actor: dict[str, Any]

    @staticmethod
    def create_id(election_id: str, contest_id: str, code: str) -> UUID:
        return aggregate_id("plenary", election_id, contest_id, code)

    @event("Opened", topic="rekap:Plenary.Opened")
    def __init__(
        self, election_id: str, contest_id: str, code: str, tier: str, actor: dict[str, Any]
    ) -> None:
        self.election_id = election_id
        self.contest_id = contest_id
        self.code = code
        self.tier = tier
        self.status = PlenaryStatus.OPEN
        self.objections: dict[str, dict[str, Any]] = {}  # raised here
        self.carried: dict[str, dict[str, Any]] = {}  # raised below, resolved here
        self.recommendations: dict[str, dict[str, Any]] = {}
        self.corrections: list[dict[str, Any]] = []
        self.accepted: dict[str, dict[str, Any]] = {}  # tps -> acceptance of its hard anomaly
        self.orders: list[dict[str, Any]] = []
        self.certificates: list[dict[str, Any]] = []

    # -- state ------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status in (PlenaryStatus.OPEN, PlenaryStatus.REOPENED)

    @property
    def is_certified(self) -> bool:
        return self.status is PlenaryStatus.CERTIFIED

    def open_objections(self) -> list[dict[str, Any]]:
        return [o for o in self.objections.values() if o["resolution"] is None]

    def unanswered_recommendations(self) -> list[dict[str, Any]]:
        return [r for r in self.recommendations.values() if r["answer"] is None]

    def carried_up(self) -> list[dict[str, Any]]:
        """Objections this plenary refused, which the next tier must read out and resolve."""
        mine = [o for o in self.objections.values() if _refused(o)]
        passed = [o for o in self.carried.values() if _refused(o)]
        return mine + passed

    def knows_objection(self, objection_id: str) -> bool:
        return objection_id in self.objections or objection_id in self.carried

    def current_certificate(self) -> dict[str, Any] | None:
        return self.certificates[-1] if self.is_certified and self.certificates else None

    def revote_order_for(self, tps: str) -> dict[str, Any] | None:
        for order in reversed(self.orders):
            if order["kind"] == OrderKind.RE_VOTE and (not order["tps"] or tps in order["tps"]):
                return order
        return None

    def require_open(self) -> None:
        if not self.is_open:
            raise Conflict(
                f"the {self.tier} plenary of {self.code} is {self.status.value}, not open"
                + ("; it must be reopened first" if self.is_certified else "")
            )

    # -- commands ---------------------------------------------------------------------------

    def raise_objection(
        self, *, subject: str, target: str | None, detail: str, actor: dict[str, Any]
    ) -> str:
        self.require_open()
        objection_id = f"{self.code}-{len(self.objections) + 1}"
        self._raise_objection(
            objection_id=objection_id, subject=subject, target=target, detail=detail, actor=actor
        )
        return objection_id

    @event(ObjectionRaised)
    def _raise_objection(
        self,
        objection_id: str,
        subject: str,
        target: str | None,
        detail: str,
        actor: dict[str, Any],
    ) -> None:
        self.objections[objection_id] = {
            "id": objection_id,
            "origin": self.code,
            "subject": subject,
            "target": target,
            "detail": detail,
            "raised_by": actor,
            "resolution": None,
        }

    def resolve_objection(
        self,
        *,
        objection_id: str,
        accepted: bool,
        note: str,
        carried: dict[str, Any] | None,
        carried_to: str | None,
        actor: dict[str, Any],
    ) -> None:
        """Resolve one of this plenary's objections, or one carried up from below (`carried`)."""
        self.require_open()
        if carried is None:
            found = self.objections.get(objection_id)
            if found is None:
                raise NotFound(f"no objection {objection_id} in the plenary of {self.code}")
            if found["resolution"] is not None:
                raise Conflict(f"objection {objection_id} is already resolved")
        elif objection_id in self.carried:
            raise Conflict(f"objection {objection_id} is already resolved here")
        self._resolve_objection(
            objection_id=objection_id,
            accepted=accepted,
            note=note,
            carried=carried,
            carried_to=None if accepted else carried_to,
            actor=actor,
        )

    @event(ObjectionResolved)
    def _resolve_objection(
        self,
        objection_id: str,
        accepted: bool,
        note: str,
        carried: dict[str, Any] | None,
        carried_to: str | None,
        actor: dict[str, Any],
    ) -> None:
        resolution = {
            "accepted": accepted,
            "note": note,
            "by": actor,
            "at_plenary": self.code,
            "carried_to": carried_to,
        }
        if carried is not None:
            self.carried[objection_id] = {**carried, "resolution": resolution}
        else:
            self.objections[objection_id]["resolution"] = resolution

    def record_recommendation(self, *, text: str, actor: dict[str, Any]) -> str:
        self.require_open()
        recommendation_id = f"{self.code}-r{len(self.recommendations) + 1}"
        self._record_recommendation(recommendation_id=recommendation_id, text=text, actor=actor)
        return recommendation_id

    @event(RecommendationRecorded)
    def _record_recommendation(
        self, recommendation_id: str, text: str, actor: dict[str, Any]
    ) -> None:
        self.recommendations[recommendation_id] = {
            "id": recommendation_id,
            "text": text,
            "by": actor,
            "answer": None,
        }

    def answer_recommendation(
        self, *, recommendation_id: str, followed: bool, answer: str, actor: dict[str, Any]
    ) -> None:
        self.require_open()
        found = self.recommendations.get(recommendation_id)
        if found is None:
            raise NotFound(f"no recommendation {recommendation_id} in the plenary of {self.code}")
        if found["answer"] is not None:
            raise Conflict(f"recommendation {recommendation_id} is already answered")
        self._answer_recommendation(
            recommendation_id=recommendation_id, followed=followed, answer=answer, actor=actor
        )

    @event(RecommendationAnswered)
    def _answer_recommendation(
        self, recommendation_id: str, followed: bool, answer: str, actor: dict[str, Any]
    ) -> None:
        self.recommendations[recommendation_id]["answer"] = {
            "followed": followed,
            "text": answer,
            "by": actor,
        }

    def record_correction(
        self,
        *,
        tps: str,
        from_version: int,
        before: dict[str, Any],
        after: dict[str, Any],
        reason: str,
        objection_id: str | None,
        actor: dict[str, Any],
    ) -> None:
        self.require_open()
        self._require_beneath(tps)
        if objection_id is not None and not self.knows_objection(objection_id):
            raise InvalidInput(f"objection {objection_id} was not heard in this plenary")
        self._record_correction(
            tps=tps,
            from_version=from_version,
            to_version=from_version + 1,
            before=before,
            after=after,
            reason=reason,
            objection_id=objection_id,
            actor=actor,
        )

    @event(CorrectionRecorded)
    def _record_correction(
        self,
        tps: str,
        from_version: int,
        to_version: int,
        before: dict[str, Any],
        after: dict[str, Any],
        reason: str,
        objection_id: str | None,
        actor: dict[str, Any],
    ) -> None:
        self.corrections.append(
            {
                "kind": "correction",
                "tps": tps,
                "from_version": from_version,
                "to_version": to_version,
                "before": before,
                "after": after,
                "reason": reason,
                "objection_id": objection_id,
                "by": actor,
            }
        )

    def record_revote(
        self,
        *,
        tps: str,
        from_version: int,
        before: dict[str, Any],
        after: dict[str, Any],
        actor: dict[str, Any],
    ) -> dict[str, Any]:
        """The result of a re-vote (PSU) ordered by a court for this TPS; the order it follows."""
        self.require_open()
        self._require_beneath(tps)
        order = self.revote_order_for(tps)
        if order is None:
            raise Conflict(f"no court order for a re-vote at TPS {tps} was given to this plenary")
        self._record_revote(
            tps=tps,
            from_version=from_version,
            to_version=from_version + 1,
            before=before,
            after=after,
            order=order,
            actor=actor,
        )
        return order

    @event(RevoteRecorded)
    def _record_revote(
        self,
        tps: str,
        from_version: int,
        to_version: int,
        before: dict[str, Any],
        after: dict[str, Any],
        order: dict[str, Any],
        actor: dict[str, Any],
    ) -> None:
        self.corrections.append(
            {
                "kind": "revote",
                "tps": tps,
                "from_version": from_version,
                "to_version": to_version,
                "before": before,
                "after": after,
                "reason": f"re-vote (PSU) ordered by {order.get('ref') or 'court order'}",
                "objection_id": None,
                "order": order,
                "by": actor,
            }
        )

    def accept_anomaly(
        self,
        *,
        tps: str,
        result_version: int,
        rules: list[str],
        reason: str,
        actor: dict[str, Any],
    ) -> None:
        self.require_open()
        self._require_beneath(tps)
        if not rules:
            raise Conflict(f"TPS {tps} has no hard anomaly to accept")
        self._accept_anomaly(
            tps=tps, result_version=result_version, rules=rules, reason=reason, actor=actor
        )

    @event(AnomalyAccepted)
    def _accept_anomaly(
        self, tps: str, result_version: int, rules: list[str], reason: str, actor: dict[str, Any]
    ) -> None:
        self.accepted[tps] = {
            "tps": tps,
            "result_version": result_version,
            "rules": rules,
            "reason": reason,
            "by": actor,
        }

    def certify(
        self,
        *,
        figures: dict[str, Any],
        signed_by: list[str],
        refusals: list[dict[str, str]],
        relied_on: dict[str, Any],
        verdict: dict[str, Any] | None,
        actor: dict[str, Any],
    ) -> int:
        """Issue the certificate (D.Hasil); the blocking rules were checked by the caller."""
        self.require_open()
        if not signed_by:
            raise InvalidInput("a certificate is signed by at least one member of the plenary")
        number = len(self.certificates) + 1
        certificate = copy.deepcopy(
            {
                "number": number,
                "election": self.election_id,
                "contest": self.contest_id,
                "region": self.code,
                "tier": self.tier,
                "figures": figures,
                "corrections": list(self.corrections),
                "objections": [*self.objections.values(), *self.carried.values()],
                "recommendations": list(self.recommendations.values()),
                "anomalies_accepted": list(self.accepted.values()),
                "signed_by": list(signed_by),
                "refusals": list(refusals),
                "relied_on": relied_on,
                "verdict": verdict,
            }
        )
        self._certify(number=number, certificate=certificate, actor=actor)
        return number

    @event(Certified)
    def _certify(self, number: int, certificate: dict[str, Any], actor: dict[str, Any]) -> None:
        self.status = PlenaryStatus.CERTIFIED
        self.certificates.append({**certificate, "certified_by": actor, "superseded": False})

    def reopen(
        self,
        *,
        reason: str,
        order: dict[str, Any] | None,
        actor: dict[str, Any],
        cascade_from: str | None = None,
    ) -> None:
        if not self.is_certified:
            raise Conflict(
                f"the {self.tier} plenary of {self.code} is {self.status.value}: only a "
                "certified plenary is reopened"
            )
        self._reopen(
            reason=reason,
            order=order,
            supersedes=self.certificates[-1]["number"],
            cascade_from=cascade_from,
            actor=actor,
        )

    @event(Reopened)
    def _reopen(
        self,
        reason: str,
        order: dict[str, Any] | None,
        supersedes: int,
        cascade_from: str | None,
        actor: dict[str, Any],
    ) -> None:
        self.status = PlenaryStatus.REOPENED
        self.certificates[-1]["superseded"] = True
        if order is not None:
            self.orders.append(order)

    def note_reopened_below(self, *, code: str, reason: str, actor: dict[str, Any]) -> None:
        self._note_reopened_below(code=code, reason=reason, actor=actor)

    @event(BelowReopened)
    def _note_reopened_below(self, code: str, reason: str, actor: dict[str, Any]) -> None:
        pass

    def _require_beneath(self, tps: str) -> None:
        if not is_within(tps, self.code) or tier_of(tps) is not Tier.TPS:
            raise InvalidInput(f"TPS {tps} is not under the plenary of {self.code}")


def _refused(objection: dict[str, Any]) -> bool:
    resolution = objection["resolution"]
    return (
        resolution is not None
        and not resolution["accepted"]
        and resolution["carried_to"] is not None
    )


# -- where plenaries sit ---------------------------------------------------------------------


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
