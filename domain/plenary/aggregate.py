"""The recap plenary of one contest at one region (domain.md section 5), as an aggregate: opened,
hears objections and recommendations, corrects TPS figures beneath it (or reads a missing
result), accepts hard anomalies, certifies (D.Hasil), may be reopened. Rules that need no outside
facts are checked here, before the event; those that need the figures are in certification.py.
"""

from __future__ import annotations

import copy
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.codes import Tier, is_within, tier_of
from domain.errors import Conflict, InvalidInput, NotFound
from domain.ids import aggregate_id
from domain.plenary.minutes import Minutes
from domain.plenary.terms import PlenaryStatus

Actor = dict[str, Any]  # who acted, as recorded on the event


class Plenary(Aggregate):
    TOPIC = "rekap:Plenary"

    class Created(Aggregate.Created):
        TOPIC = "rekap:Plenary.Created"

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
        self.minutes = Minutes(code)
        self.certificates: list[dict[str, Any]] = []

    # -- state ------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status in (PlenaryStatus.OPEN, PlenaryStatus.REOPENED)

    @property
    def is_certified(self) -> bool:
        return self.status is PlenaryStatus.CERTIFIED

    def current_certificate(self) -> dict[str, Any] | None:
        return self.certificates[-1] if self.is_certified and self.certificates else None

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
        objection_id = self.minutes.next_objection_id()
        self._raise_objection(
            objection_id=objection_id, subject=subject, target=target, detail=detail, actor=actor
        )
        return objection_id

    @event("ObjectionRaised", topic="rekap:Plenary.ObjectionRaised")
    def _raise_objection(
        self,
        objection_id: str,
        subject: str,
        target: str | None,
        detail: str,
        actor: dict[str, Any],
    ) -> None:
        self.minutes.objection(objection_id, actor, subject=subject, target=target, detail=detail)

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
            found = self.minutes.objections.get(objection_id)
            if found is None:
                raise NotFound(f"no objection {objection_id} in the plenary of {self.code}")
            if found["resolution"] is not None:
                raise Conflict(f"objection {objection_id} is already resolved")
        elif objection_id in self.minutes.carried:
            raise Conflict(f"objection {objection_id} is already resolved here")
        self._resolve_objection(
            objection_id=objection_id,
            accepted=accepted,
            note=note,
            carried=carried,
            carried_to=None if accepted else carried_to,
            actor=actor,
        )

    @event("ObjectionResolved", topic="rekap:Plenary.ObjectionResolved")
    def _resolve_objection(
        self,
        objection_id: str,
        accepted: bool,
        note: str,
        carried: dict[str, Any] | None,
        carried_to: str | None,
        actor: dict[str, Any],
    ) -> None:
        self.minutes.resolution(
            objection_id, carried, accepted=accepted, note=note, by=actor, carried_to=carried_to
        )

    def record_recommendation(self, *, text: str, actor: dict[str, Any]) -> str:
        self.require_open()
        recommendation_id = self.minutes.next_recommendation_id()
        self._record_recommendation(recommendation_id=recommendation_id, text=text, actor=actor)
        return recommendation_id

    @event("RecommendationRecorded", topic="rekap:Plenary.RecommendationRecorded")
    def _record_recommendation(
        self, recommendation_id: str, text: str, actor: dict[str, Any]
    ) -> None:
        self.minutes.recommendation(recommendation_id, text, actor)

    def answer_recommendation(
        self, *, recommendation_id: str, followed: bool, answer: str, actor: dict[str, Any]
    ) -> None:
        self.require_open()
        found = self.minutes.recommendations.get(recommendation_id)
        if found is None:
            raise NotFound(f"no recommendation {recommendation_id} in the plenary of {self.code}")
        if found["answer"] is not None:
            raise Conflict(f"recommendation {recommendation_id} is already answered")
        self._answer_recommendation(
            recommendation_id=recommendation_id, followed=followed, answer=answer, actor=actor
        )

    @event("RecommendationAnswered", topic="rekap:Plenary.RecommendationAnswered")
    def _answer_recommendation(
        self, recommendation_id: str, followed: bool, answer: str, actor: dict[str, Any]
    ) -> None:
        self.minutes.answer(recommendation_id, followed=followed, text=answer, by=actor)

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
        if objection_id is not None and not self.minutes.knows_objection(objection_id):
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

    @event("CorrectionRecorded", topic="rekap:Plenary.CorrectionRecorded")
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
        self.minutes.correction(
            "correction",
            tps=tps,
            from_version=from_version,
            to_version=to_version,
            before=before,
            after=after,
            reason=reason,
            objection_id=objection_id,
            by=actor,
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
        order = self.minutes.revote_order_for(tps)
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

    @event("RevoteRecorded", topic="rekap:Plenary.RevoteRecorded")
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
        self.minutes.correction(
            "revote",
            tps=tps,
            from_version=from_version,
            to_version=to_version,
            before=before,
            after=after,
            reason=f"re-vote (PSU) ordered by {order.get('ref') or 'court order'}",
            objection_id=None,
            order=order,
            by=actor,
        )

    def record_result_read(
        self, *, tps: str, form: dict[str, Any], reason: str, evidence: list[Any], actor: Actor
    ) -> None:
        """The first result of a TPS whose upload never came, read from its C.Hasil here."""
        self.require_open()
        self._require_beneath(tps)
        self._read_result(tps=tps, form=form, reason=reason, evidence=evidence, actor=actor)

    @event("ResultRead", topic="rekap:Plenary.ResultRead")
    def _read_result(
        self, tps: str, form: dict[str, Any], reason: str, evidence: list[Any], actor: Actor
    ) -> None:
        self.minutes.reading(tps, form=form, reason=reason, evidence=evidence, by=actor)

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

    @event("AnomalyAccepted", topic="rekap:Plenary.AnomalyAccepted")
    def _accept_anomaly(
        self, tps: str, result_version: int, rules: list[str], reason: str, actor: dict[str, Any]
    ) -> None:
        self.minutes.acceptance(
            tps, result_version=result_version, rules=rules, reason=reason, by=actor
        )

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
                **self.minutes.on_certificate(),
                "signed_by": list(signed_by),
                "refusals": list(refusals),
                "relied_on": relied_on,
                "verdict": verdict,
            }
        )
        self._certify(number=number, certificate=certificate, actor=actor)
        return number

    @event("Certified", topic="rekap:Plenary.Certified")
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

    @event("Reopened", topic="rekap:Plenary.Reopened")
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
            self.minutes.orders.append(order)

    def note_reopened_below(self, *, code: str, reason: str, actor: dict[str, Any]) -> None:
        self._note_reopened_below(code=code, reason=reason, actor=actor)

    @event("BelowReopened", topic="rekap:Plenary.BelowReopened")
    def _note_reopened_below(self, code: str, reason: str, actor: dict[str, Any]) -> None:
        """A plenary under this open one was reopened (noted in the minutes; guards races)."""

    def note_result_step(self, *, step: str, ref: str, actor: dict[str, Any]) -> None:
        """A step of the contest's result after this top plenary certified (a dispute filed at
        the Court, the determination), recorded on its own aggregate and noted here, so that
        such steps and a reopening racing each other fail on this plenary's version."""
        if not self.is_certified:
            raise Conflict(
                f"the {self.tier} plenary of {self.code} is {self.status.value}: the result "
                "is not certified"
            )
        self._note_result_step(step=step, ref=ref, actor=actor)

    @event("ResultStepNoted", topic="rekap:Plenary.ResultStepNoted")
    def _note_result_step(self, step: str, ref: str, actor: dict[str, Any]) -> None:
        pass

    def _require_beneath(self, tps: str) -> None:
        if not is_within(tps, self.code) or tier_of(tps) is not Tier.TPS:
            raise InvalidInput(f"TPS {tps} is not under the plenary of {self.code}")
