"""The result of one contest at one TPS: submitted once, then corrected, never overwritten."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import Conflict, StaleVersion
from domain.ids import aggregate_id

READ_IN_PLENARY = "plenary"  # the source of a result read from the C.Hasil in plenary


class ReadInPlenary(Conflict):
    """A KPPS upload for a TPS whose result was read in plenary meanwhile: the plenary's figures
    stand, and the problem shows them to the KPPS (`read_in_plenary`)."""

    code = "read_in_plenary"

    def __init__(self, message: str, read_in_plenary: dict[str, Any]) -> None:
        super().__init__(message)
        self.details = {"read_in_plenary": read_in_plenary}


class TpsResult(Aggregate):
    TOPIC = "rekap:TpsResult"
    # Every event that sets a TPS's figures, and their topics: what the recap folds, what a
    # replay as of a moment reads from the log. Filled in below the class, once the @event
    # decorator has made `Submitted`.
    RESULT_EVENTS: ClassVar[tuple[type[Aggregate.Event], ...]] = ()
    RESULT_TOPICS: ClassVar[tuple[str, ...]] = ()

    class Created(Aggregate.Created):
        TOPIC = "rekap:TpsResult.Created"

    @staticmethod
    def create_id(election_id: str, contest_id: str, tps: str) -> UUID:
        return aggregate_id("result", election_id, contest_id, tps)

    @event("Submitted", topic="rekap:TpsResult.Submitted")
    def __init__(
        self,
        election_id: str,
        contest_id: str,
        tps: str,
        form: dict[str, Any],
        evidence: list[dict[str, Any]],
        submission_id: str,
        captured_at: str | None,
        source: str,
        actor: dict[str, Any],
    ) -> None:
        self.election_id = election_id
        self.contest_id = contest_id
        self.tps = tps
        self.form = form
        self.submission_id = submission_id
        self.source = source
        self.request_ids: list[str] = []

    def is_same_submission(self, submission_id: str) -> bool:
        return self.submission_id == submission_id

    def check_first_submission(self, submission_id: str) -> None:
        if self.is_same_submission(submission_id):
            return
        if self.source == READ_IN_PLENARY:
            raise ReadInPlenary(
                f"the result of TPS {self.tps} was read from its C.Hasil in the plenary of "
                f"{self.tps[:6]}: those figures stand; a different reading is raised there",
                {"plenary": self.tps[:6], "version": self.version, "form": self.form},
            )
        raise Conflict(
            f"TPS {self.tps} already has a result (submission {self.submission_id}); "
            "a different reading is a correction, not a new submission"
        )

    def correct(
        self,
        *,
        form: dict[str, Any],
        reason: str,
        expected_version: int,
        actor: dict[str, Any],
        evidence: list[dict[str, Any]] | None = None,
        request_id: str | None = None,
        objection_id: str | None = None,
        plenary: dict[str, Any] | None = None,
    ) -> None:
        if expected_version != self.version:
            raise StaleVersion(
                f"the result of TPS {self.tps} is at version {self.version}, not {expected_version}"
            )
        self._record_correction(
            election_id=self.election_id,
            contest_id=self.contest_id,
            tps=self.tps,
            form=form,
            reason=reason,
            corrects_version=self.version,
            evidence=evidence or [],
            request_id=request_id,
            objection_id=objection_id,
            plenary=plenary,
            actor=actor,
        )

    @event("Corrected", topic="rekap:TpsResult.Corrected")
    def _record_correction(
        self,
        election_id: str,
        contest_id: str,
        tps: str,
        form: dict[str, Any],
        reason: str,
        corrects_version: int,
        evidence: list[dict[str, Any]],
        request_id: str | None,
        objection_id: str | None,
        plenary: dict[str, Any] | None,
        actor: dict[str, Any],
    ) -> None:
        self.form = form
        if request_id:
            self.request_ids.append(request_id)

    def revote(
        self,
        *,
        form: dict[str, Any],
        order: dict[str, Any],
        plenary: dict[str, Any],
        actor: dict[str, Any],
    ) -> None:
        self._record_revote(
            election_id=self.election_id,
            contest_id=self.contest_id,
            tps=self.tps,
            form=form,
            order=order,
            replaces_version=self.version,
            plenary=plenary,
            actor=actor,
        )

    @event("Revoted", topic="rekap:TpsResult.Revoted")
    def _record_revote(
        self,
        election_id: str,
        contest_id: str,
        tps: str,
        form: dict[str, Any],
        order: dict[str, Any],
        replaces_version: int,
        plenary: dict[str, Any],
        actor: dict[str, Any],
    ) -> None:
        """The result of a court-ordered re-vote (PSU) replaces the TPS's result."""
        self.form = form


TpsResult.RESULT_EVENTS = (TpsResult.Submitted, TpsResult.Corrected, TpsResult.Revoted)
TpsResult.RESULT_TOPICS = tuple(cls.TOPIC for cls in TpsResult.RESULT_EVENTS)
