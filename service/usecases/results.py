"""Use cases of TPS results: submit (idempotent by submission id) and correct. The bulk import
is in bulk.py. Commands come loaded (service/input/results.py); the form is read here against
its contest (domain/form.py), once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import IntegrityError

from domain.access import Actor, require_result_writer
from domain.codes import is_within
from domain.commands import CorrectResult, EvidencePage, SubmitResult
from domain.contests import Contest
from domain.errors import ErrorList, InvalidInput, NotFound, StaleVersion
from domain.form import Form
from domain.legislative import read_form
from domain.rules import check_form
from domain.tps_result import TpsResult
from service.store.application import Rekap
from service.store.db import Database
from service.store.eventlog import position_of
from service.store.group_commit import GroupCommit
from service.store.reference import Reference

EvidenceCheck = Callable[[str], bool]
CorrectionGuard = Callable[[str, str, str], None]  # raises if the TPS is no longer correctable


@dataclass
class ResultsContext:
    """What the result use cases need, injected once at bootstrap."""

    app: Rekap
    db: Database
    ref: Reference
    evidence_exists: EvidenceCheck = lambda digest: True
    correction_guard: CorrectionGuard | None = None
    # Concurrent first submissions of one process share a transaction (store/group_commit.py).
    commits: GroupCommit = field(init=False)

    def __post_init__(self) -> None:
        self.commits = GroupCommit(self.app)


@dataclass(frozen=True)
class ResultOutcome:
    created: bool
    election_id: str
    contest_id: str
    tps: str
    version: int
    position: int
    form: dict[str, Any]
    anomalies: list[dict[str, Any]]
    submission_id: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "election": self.election_id,
            "contest": self.contest_id,
            "tps": self.tps,
            "version": self.version,
            "position": self.position,
            "submission_id": self.submission_id,
            "form": self.form,
            "anomalies": self.anomalies,
        }


@dataclass(frozen=True)
class Submission:
    """A submission checked against its contest and the store, ready to be recorded."""

    contest: Contest
    command: SubmitResult
    form: Form

    @property
    def tps(self) -> str:
        return self.command.tps


def prepare_submission(
    ctx: ResultsContext, actor: Actor, election_id: str, contest_id: str, command: SubmitResult
) -> Submission:
    """Check everything a submission must be before anything is stored."""
    contest, form = _checked(ctx, actor, election_id, contest_id, command, "submission")
    return Submission(contest, command, form)


def submit(
    ctx: ResultsContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    command: SubmitResult,
    source: str = "api",
) -> ResultOutcome:
    """Record a TPS's first result. The same submission id again answers the stored result."""
    s = prepare_submission(ctx, actor, election_id, contest_id, command)
    # Most submissions are first ones: try the insert, and read what is stored only when the
    # store refuses it (a retry, a conflicting reading, or a race lost to another request).
    result = new_result(s, actor, source)
    try:
        position = ctx.commits.save(result)
        return outcome(result, position, s.contest, True, s.form)
    except IntegrityError:
        existing = ctx.app.repository.get(result.id)
    existing.check_first_submission(command.submission_id)
    return outcome(existing, position_of(ctx.db, result.id, existing.version), s.contest, False)


def correct(
    ctx: ResultsContext, actor: Actor, election_id: str, contest_id: str, command: CorrectResult
) -> ResultOutcome:
    """Record a corrected reading before the plenary (KPPS or operator), with a reason."""
    code = command.tps
    contest, form = _checked(ctx, actor, election_id, contest_id, command, "correction")
    result_id = TpsResult.create_id(election_id, contest_id, code)
    result = ctx.app.get_or_none(result_id)
    if result is None:
        raise NotFound(f"TPS {code} has no result to correct in {contest_id}")
    if command.request_id and command.request_id in result.request_ids:
        return outcome(result, position_of(ctx.db, result_id, result.version), contest, False)
    if ctx.correction_guard is not None:
        ctx.correction_guard(election_id, contest_id, code)
    result.correct(
        form=form.to_dict(),
        reason=command.reason,
        expected_version=command.expected_version,
        actor=actor.to_dict(),
        evidence=[page.to_dict() for page in command.evidence],
        request_id=command.request_id,
        objection_id=command.objection_id,
    )
    try:
        position = ctx.app.save_and_position(result)
    except IntegrityError:
        # Another correction of the same version was saved first: this one named a version
        # that is no longer the current one, as the check above would have said a moment later.
        raise StaleVersion(
            f"the result of TPS {code} is no longer at version {command.expected_version}: "
            "another correction was recorded meanwhile; read it again"
        ) from None
    return outcome(result, position, contest, created=True)


def new_result(s: Submission, actor: Actor, source: str) -> TpsResult:
    c = s.command
    return TpsResult(
        election_id=s.contest.election_id,
        contest_id=s.contest.contest_id,
        tps=c.tps,
        form=s.form.to_dict(),
        evidence=[page.to_dict() for page in c.evidence],
        submission_id=c.submission_id,
        captured_at=c.captured_at.isoformat() if c.captured_at else None,
        source=source,
        actor=actor.to_dict(),
    )


def outcome(
    result: TpsResult, position: int, contest: Contest, created: bool, parsed: Form | None = None
) -> ResultOutcome:
    # A new result's form was parsed when it was prepared: parsing it again doubles the work.
    form = parsed or read_form(contest, result.tps, result.form)
    return ResultOutcome(
        created=created,
        election_id=result.election_id,
        contest_id=result.contest_id,
        tps=result.tps,
        version=result.version,
        position=position,
        form=result.form,
        anomalies=[a.to_dict() for a in check_form(form)],
        submission_id=result.submission_id,
    )


def _checked(
    ctx: ResultsContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    command: SubmitResult | CorrectResult,
    what: str,
) -> tuple[Contest, Form]:
    """The contest and the form of a TPS's reading, once the actor may write it, the TPS is of
    the contest, its evidence is stored and its form fits the contest (every fault listed)."""
    require_result_writer(actor, command.tps)
    contest = ctx.ref.contest(election_id, contest_id)
    _require_tps(ctx, contest, command.tps)
    errors = ErrorList()
    _require_evidence(ctx, command.evidence, errors)
    form = _form(contest, command.tps, command.form, errors)
    if errors:
        raise InvalidInput(f"the {what} cannot be accepted", errors.errors)
    assert form is not None
    return contest, form


def _require_tps(ctx: ResultsContext, contest: Contest, tps: str) -> None:
    if not is_within(tps, contest.region):
        raise NotFound(f"TPS {tps} is outside contest {contest.contest_id} ({contest.region})")
    ctx.ref.tps_dpt(contest.election_id, tps)


def _require_evidence(
    ctx: ResultsContext, evidence: Sequence[EvidencePage], errors: ErrorList
) -> None:
    for i, page in enumerate(evidence):
        if not ctx.evidence_exists(page.sha256):
            errors.add(f"evidence.{i}.sha256", "no evidence with this digest was uploaded")


def _form(contest: Contest, tps: str, document: Any, errors: ErrorList) -> Form | None:
    try:
        return read_form(contest, tps, document)
    except InvalidInput as exc:
        errors.errors.extend(exc.errors)
        return None
