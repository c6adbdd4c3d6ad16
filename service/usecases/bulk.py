"""The bulk import: many first submissions, each all-or-nothing, answered item by item.

New results are saved many to a transaction; existing ones are answered as retries or conflicts
without a write, so a whole province goes in at the speed of batched inserts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from eventsourcing.persistence import IntegrityError

from domain.access import Actor
from domain.commands import SubmitResult
from domain.errors import Conflict, DomainError
from domain.tps_result import TpsResult
from service.store.eventlog import existing_versions, position_of
from service.usecases.results import (
    ResultOutcome,
    ResultsContext,
    Submission,
    new_result,
    outcome,
    prepare_submission,
)

CHUNK = 500


@dataclass(frozen=True)
class BulkItem:
    """One item's answer: what was stored or answered again (`outcome`), or why not."""

    index: int
    outcome: ResultOutcome | None = None
    error: DomainError | None = None


def submit_bulk(
    ctx: ResultsContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    items: Sequence[SubmitResult | DomainError],
    source: str = "bulk",
    chunk: int = CHUNK,
) -> list[BulkItem]:
    """Each item's answer, in order; an item that could not be loaded comes as its error."""
    answers: dict[int, BulkItem] = {}
    prepared: list[tuple[int, Submission]] = []
    for index, item in enumerate(items):
        if isinstance(item, DomainError):
            answers[index] = BulkItem(index, error=item)
            continue
        try:
            prepared.append((index, prepare_submission(ctx, actor, election_id, contest_id, item)))
        except DomainError as exc:
            answers[index] = BulkItem(index, error=exc)
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
                fresh.append((index, s, new_result(s, actor, source)))
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
            index, outcome=outcome(result, positions[result.id], s.contest, True, s.form)
        )
        for index, s, result in fresh
    }


def _answer_one(ctx: ResultsContext, actor: Actor, s: Submission, source: str) -> BulkItem:
    result = new_result(s, actor, source)
    try:
        position = ctx.app.save_and_position(result)
        return BulkItem(0, outcome=outcome(result, position, s.contest, True))
    except IntegrityError:
        return _answer_existing(ctx, actor, s, source)


def _answer_existing(ctx: ResultsContext, actor: Actor, s: Submission, source: str) -> BulkItem:
    rid = TpsResult.create_id(s.contest.election_id, s.contest.contest_id, s.tps)
    existing = ctx.app.get_or_none(rid)
    if existing is None:
        return _answer_one(ctx, actor, s, source)
    try:
        existing.check_first_submission(s.command.submission_id)
    except Conflict as exc:
        return BulkItem(0, error=exc)
    position = position_of(ctx.db, rid, existing.version)
    return BulkItem(0, outcome=outcome(existing, position, s.contest, False))
