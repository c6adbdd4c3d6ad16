"""Use cases of TPS results: submit (idempotent by submission id), correct, bulk import."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from eventsourcing.persistence import IntegrityError

from domain.access import Actor, require_result_writer
from domain.codes import is_within, tps_code
from domain.contests import Contest
from domain.errors import (
    Conflict,
    DomainError,
    ErrorList,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
)
from domain.form import Form, parse_form
from domain.rules import check_form
from domain.tps_result import TpsResult
from service.store.application import Rekap
from service.store.db import Database
from service.store.eventlog import existing_versions, position_of
from service.store.group_commit import GroupCommit
from service.store.reference import Reference

SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_ID = 100

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
    """A validated submission, ready to be recorded."""

    contest: Contest
    tps: str
    form: Form
    submission_id: str
    captured_at: str | None
    evidence: list[dict[str, Any]] = field(default_factory=list)


def prepare_submission(
    ctx: ResultsContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    tps: str,
    body: dict[str, Any],
) -> Submission:
    """Check everything a submission must be before anything is stored."""
    code = tps_code(tps)
    require_result_writer(actor, code)
    contest = ctx.ref.contest(election_id, contest_id)
    _require_tps(ctx, contest, code)
    errors = ErrorList()
    if not isinstance(body, dict):
        raise InvalidInput("the submission must be an object")
    submission_id = body.get("submission_id")
    if not isinstance(submission_id, str) or not 0 < len(submission_id) <= MAX_ID:
        errors.add("submission_id", f"a client-generated id (a UUID), 1-{MAX_ID} characters")
    captured_at = _timestamp(body.get("captured_at"), "captured_at", errors)
    evidence = _evidence(ctx, body.get("evidence"), errors)
    for key in body:
        if key not in ("submission_id", "captured_at", "form", "evidence"):
            errors.add(key, "unknown field")
    try:
        form = parse_form(body.get("form"), contest.kind, contest.candidate_keys)
    except InvalidInput as exc:
        errors.errors.extend(exc.errors)
        form = None
    if errors:
        raise InvalidInput("the submission cannot be accepted", errors.errors)
    assert form is not None and isinstance(submission_id, str)
    return Submission(contest, code, form, submission_id, captured_at, evidence)


def submit(
    ctx: ResultsContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    tps: str,
    body: dict[str, Any],
    source: str = "api",
) -> ResultOutcome:
    """Record a TPS's first result. The same submission id again answers the stored result."""
    s = prepare_submission(ctx, actor, election_id, contest_id, tps, body)
    # Most submissions are first ones: try the insert, and read what is stored only when the
    # store refuses it (a retry, a conflicting reading, or a race lost to another request).
    result = _new_result(s, actor, source)
    try:
        position = ctx.commits.save(result)
        return _outcome(result, position, s.contest, True, s.form)
    except IntegrityError:
        existing = ctx.app.repository.get(result.id)
    existing.check_first_submission(s.submission_id)
    return _outcome(existing, position_of(ctx.db, result.id, existing.version), s.contest, False)


def correct(
    ctx: ResultsContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    tps: str,
    body: dict[str, Any],
    expected_version: int,
) -> ResultOutcome:
    """Record a corrected reading before the plenary (KPPS or operator), with a reason."""
    code = tps_code(tps)
    require_result_writer(actor, code)
    contest = ctx.ref.contest(election_id, contest_id)
    _require_tps(ctx, contest, code)
    errors = ErrorList()
    if not isinstance(body, dict):
        raise InvalidInput("the correction must be an object")
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        errors.add("reason", "a correction says why")
    request_id = body.get("request_id")
    if request_id is not None and (not isinstance(request_id, str) or len(request_id) > MAX_ID):
        errors.add("request_id", f"a client-generated id, at most {MAX_ID} characters")
    objection_id = body.get("objection_id")
    if objection_id is not None and not isinstance(objection_id, str):
        errors.add("objection_id", "an objection id or null")
    evidence = _evidence(ctx, body.get("evidence"), errors)
    for key in body:
        if key not in ("form", "reason", "request_id", "objection_id", "evidence"):
            errors.add(key, "unknown field")
    try:
        form = parse_form(body.get("form"), contest.kind, contest.candidate_keys)
    except InvalidInput as exc:
        errors.errors.extend(exc.errors)
        form = None
    if errors:
        raise InvalidInput("the correction cannot be accepted", errors.errors)
    assert form is not None and isinstance(reason, str)
    result_id = TpsResult.create_id(election_id, contest_id, code)
    result = ctx.app.get_or_none(result_id)
    if result is None:
        raise NotFound(f"TPS {code} has no result to correct in {contest_id}")
    if request_id and request_id in result.request_ids:
        return _outcome(result, position_of(ctx.db, result_id, result.version), contest, False)
    if ctx.correction_guard is not None:
        ctx.correction_guard(election_id, contest_id, code)
    result.correct(
        form=form.to_dict(),
        reason=reason.strip(),
        expected_version=expected_version,
        actor=actor.to_dict(),
        evidence=evidence,
        request_id=request_id,
        objection_id=objection_id,
    )
    try:
        position = ctx.app.save_and_position(result)
    except IntegrityError:
        raise Conflict(f"the result of TPS {code} changed meanwhile; read it again") from None
    return _outcome(result, position, contest, created=True)


@dataclass(frozen=True)
class BulkItem:
    index: int
    status: int
    outcome: ResultOutcome | None = None
    error: DomainError | None = None


def submit_bulk(
    ctx: ResultsContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    items: list[dict[str, Any]],
    source: str = "bulk",
    chunk: int = 500,
    refused: Mapping[int, list[FieldError]] | None = None,
) -> list[BulkItem]:
    """Many first submissions: each item all-or-nothing, answered item by item.

    New results are saved many to a transaction; existing ones are answered as retries or
    conflicts without a write, so a whole province goes in at the speed of batched inserts.
    `refused` holds the items the edge found faults in (text that cannot be stored), by index.
    """
    answers: dict[int, BulkItem] = {}
    prepared: list[tuple[int, Submission]] = []
    for index, item in enumerate(items):
        try:
            if refused and index in refused:
                raise InvalidInput("the item holds what cannot be stored", refused[index])
            if not isinstance(item, dict):
                raise InvalidInput("an item is an object with tps and the submission")
            body = {k: v for k, v in item.items() if k != "tps"}
            prepared.append(
                (
                    index,
                    prepare_submission(
                        ctx, actor, election_id, contest_id, str(item.get("tps", "")), body
                    ),
                )
            )
        except DomainError as exc:
            answers[index] = BulkItem(index, _status(exc), error=exc)
    seen: dict[str, int] = {}
    for start in range(0, len(prepared), chunk):
        part = prepared[start : start + chunk]
        ids = [TpsResult.create_id(election_id, contest_id, s.tps) for _, s in part]
        versions = existing_versions(ctx.db, ids)
        fresh: list[tuple[int, Submission, TpsResult]] = []
        repeated: list[tuple[int, Submission]] = []
        for (index, s), rid in zip(part, ids, strict=True):
            if rid in versions or s.tps in seen:
                repeated.append((index, s))
            else:
                seen[s.tps] = index
                fresh.append((index, s, _new_result(s, actor, source)))
        answers.update(_save_fresh(ctx, actor, fresh, source))
        # Answered after the new ones are saved: a TPS twice in one request is a retry of the
        # first item (same submission id) or a conflict with it.
        for index, s in repeated:
            answers[index] = replace(_answer_existing(ctx, actor, s, source), index=index)
    return [answers[i] for i in range(len(items))]


def _save_fresh(
    ctx: ResultsContext,
    actor: Actor,
    fresh: list[tuple[int, Submission, TpsResult]],
    source: str,
) -> dict[int, BulkItem]:
    if not fresh:
        return {}
    try:
        recordings = ctx.app.save(*(r for _, _, r in fresh))
    except IntegrityError:
        # Someone else submitted one of them meanwhile: fall back to one at a time.
        return {i: replace(_answer_one(ctx, actor, s, source), index=i) for i, s, _ in fresh}
    positions = {r.domain_event.originator_id: r.notification.id for r in recordings}
    return {
        index: BulkItem(
            index, 201, outcome=_outcome(result, positions[result.id], s.contest, True, s.form)
        )
        for index, s, result in fresh
    }


def _answer_one(ctx: ResultsContext, actor: Actor, s: Submission, source: str) -> BulkItem:
    result = _new_result(s, actor, source)
    try:
        position = ctx.app.save_and_position(result)
        return BulkItem(0, 201, outcome=_outcome(result, position, s.contest, True))
    except IntegrityError:
        return _answer_existing(ctx, actor, s, source)


def _answer_existing(ctx: ResultsContext, actor: Actor, s: Submission, source: str) -> BulkItem:
    rid = TpsResult.create_id(s.contest.election_id, s.contest.contest_id, s.tps)
    existing = ctx.app.get_or_none(rid)
    if existing is None:
        return _answer_one(ctx, actor, s, source)
    try:
        existing.check_first_submission(s.submission_id)
    except Conflict as exc:
        return BulkItem(0, 409, error=exc)
    position = position_of(ctx.db, rid, existing.version)
    return BulkItem(0, 200, outcome=_outcome(existing, position, s.contest, False))


def _status(exc: DomainError) -> int:
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    return 422


def _new_result(s: Submission, actor: Actor, source: str) -> TpsResult:
    return TpsResult(
        election_id=s.contest.election_id,
        contest_id=s.contest.contest_id,
        tps=s.tps,
        form=s.form.to_dict(),
        evidence=s.evidence,
        submission_id=s.submission_id,
        captured_at=s.captured_at,
        source=source,
        actor=actor.to_dict(),
    )


def _outcome(
    result: TpsResult, position: int, contest: Contest, created: bool, parsed: Form | None = None
) -> ResultOutcome:
    # A new result's form was parsed when it was prepared: parsing it again doubles the work.
    form = parsed or parse_form(result.form, contest.kind, contest.candidate_keys)
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


def _require_tps(ctx: ResultsContext, contest: Contest, tps: str) -> None:
    if not is_within(tps, contest.region):
        raise NotFound(f"TPS {tps} is outside contest {contest.contest_id} ({contest.region})")
    ctx.ref.tps_dpt(contest.election_id, tps)


def _timestamp(value: object, name: str, errors: ErrorList) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is not None:
                return parsed.isoformat()
        except ValueError:
            pass
    errors.add(name, "an ISO 8601 time with its offset, e.g. 2024-11-27T14:05:00+07:00")
    return None


def _evidence(ctx: ResultsContext, raw: object, errors: ErrorList) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors.add("evidence", "a list of {page, sha256}")
        return []
    pages = []
    for i, item in enumerate(raw):
        page = item.get("page") if isinstance(item, dict) else None
        digest = item.get("sha256") if isinstance(item, dict) else None
        if not isinstance(page, int) or isinstance(page, bool) or not 1 <= page <= 99:
            errors.add(f"evidence.{i}.page", "a page number from 1 to 99")
        elif not isinstance(digest, str) or not SHA256.match(digest):
            errors.add(f"evidence.{i}.sha256", "the lowercase hex SHA-256 of the uploaded file")
        elif not ctx.evidence_exists(digest):
            errors.add(f"evidence.{i}.sha256", "no evidence with this digest was uploaded")
        else:
            pages.append({"page": page, "sha256": digest})
    return pages
