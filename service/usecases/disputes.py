"""Use cases after a contest's top plenary certifies (domain.md section 5, step 7): a dispute at
the Constitutional Court, its ruling (a re-vote, re-count or re-recap reopens the plenaries it
names as a court order does), and the determination (penetapan) of the result by the KPU of the
top tier once the dispute window has passed and every dispute has its ruling.

The window is counted from the top plenary's current certificate: a ruling (or anything else)
that reopens the top plenary supersedes it, and the window starts again at the new one.

Races are settled by the event store: filing a dispute and determining the result each write an
event on the top plenary (`ResultStepNoted`) beside their own aggregate, and a reopening writes
on every plenary above the one reopened; so a determination that read no open dispute and the
top certified fails (409) if a dispute was filed, or the top reopened, meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.access import Actor, require_court
from domain.codes import is_within
from domain.commands import CourtOrder, Determine, FileDispute, RuleOnDispute
from domain.contests import Contest
from domain.determination import (
    Determination,
    DeterminationFacts,
    blocking_reasons,
    window_closes_at,
)
from domain.disputes import Dispute
from domain.errors import Conflict, ErrorList, InvalidInput, NotFound
from domain.plenary import Plenary, PlenaryStatus
from service.store.db import Tx
from service.store.eventlog import position_of
from service.usecases.plenary.context import (
    PlenaryContext,
    Target,
    load_plenary,
    locate,
    official,
    sync_read_models,
)
from service.usecases.plenary.reopening import (
    Reopening,
    reopen_with_cascade,
    require_not_determined,
)


@dataclass(frozen=True)
class StepOutcome:
    """What a dispute, a ruling or the determination answers: where it was logged, and more."""

    election_id: str
    contest_id: str
    position: int
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "election": self.election_id,
            "contest": self.contest_id,
            **self.extra,
            "position": self.position,
        }


def file_dispute(
    ctx: PlenaryContext, actor: Actor, election_id: str, contest_id: str, command: FileDispute
) -> tuple[StepOutcome, bool]:
    """Record a dispute over the certified result (a court); the same ref and detail again
    answer the dispute recorded (False: nothing new was stored)."""
    require_court(actor)
    contest = ctx.ref.contest(election_id, contest_id)
    dispute_id = Dispute.create_id(election_id, contest_id, command.ref)
    existing = ctx.app.get_or_none(dispute_id)
    if existing is not None:
        if not existing.is_same_filing(command.detail):
            raise Conflict(f"dispute {command.ref} is recorded already, with another detail")
        position = position_of(ctx.db, dispute_id, 1)
        return _dispute_outcome(existing, dispute_id, position), False
    t, top = _top(ctx, contest)
    require_not_determined(ctx, contest)
    _require_certified(t, top)
    who = actor.to_dict()
    top.note_result_step(step="dispute_filed", ref=command.ref, actor=who)
    dispute = Dispute(
        election_id=election_id,
        contest_id=contest_id,
        ref=command.ref,
        detail=command.detail,
        certificate=top.certificates[-1]["number"],
        actor=who,
    )
    return _dispute_outcome(dispute, dispute_id, _save(ctx, top, dispute)), True


def rule_on_dispute(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    dispute_id: str,
    command: RuleOnDispute,
) -> StepOutcome:
    """Record the Court's ruling; a re-vote, re-count or re-recap reopens the plenaries it
    names, and every certified plenary above them, with the ruling as their court order."""
    require_court(actor)
    contest = ctx.ref.contest(election_id, contest_id)
    dispute = _dispute(ctx, contest, dispute_id)
    dispute.rule(
        outcome=command.outcome,
        plenaries=list(command.plenaries),
        tps=list(command.tps),
        detail=command.detail,
        actor=actor.to_dict(),
    )
    reopening = Reopening()
    order = None
    if command.outcome.order is not None:
        order = CourtOrder(kind=command.outcome.order, ref=dispute.ref, tps=command.tps).to_dict()
        for t in _ordered_plenaries(ctx, contest, command):
            reason = f"ruling in {dispute.ref}: {command.detail}"
            plenary = load_plenary(ctx, t)
            reopen_with_cascade(
                ctx, t, plenary, reason=reason, order=order, actor=actor, into=reopening
            )
    position = _save(ctx, dispute, *reopening.touched.values())
    return _dispute_outcome(dispute, dispute.id, position, reopened=reopening.reopened, order=order)


def determine(
    ctx: PlenaryContext, actor: Actor, election_id: str, contest_id: str, command: Determine
) -> StepOutcome:
    """Record the determination (penetapan) of the result on the top plenary's certificate:
    refused with every reason that blocks it (not certified, the window open, a dispute
    without its ruling)."""
    contest = ctx.ref.contest(election_id, contest_id)
    t = locate(ctx, election_id, contest_id, contest.region)
    official(actor, t)
    require_not_determined(ctx, contest)
    top = ctx.app.get_or_none(Plenary.create_id(election_id, contest_id, t.code))
    certificate = top.current_certificate() if top is not None else None
    sync_read_models(ctx)
    with ctx.db.transaction(write=False) as tx:
        certified = _certified(ctx, tx, t, certificate)
        disputes = _disputes(ctx, tx, contest)
    closes = None
    if certified is not None:
        closes = window_closes_at(certified["at"], contest.dispute_window_hours)
    facts = DeterminationFacts(
        plenary=t.code,
        status=top.status if top is not None else PlenaryStatus.NOT_OPEN,
        now=ctx.clock(),
        window_closes_at=closes,
        open_disputes=[d for d in disputes if d["outcome"] is None],
    )
    reasons = blocking_reasons(facts)
    if reasons:
        raise Conflict(
            f"the result of {contest_id} cannot be determined yet: {len(reasons)} reason(s) "
            "block it",
            reasons,
        )
    assert top is not None and certificate is not None and certified is not None
    assert closes is not None
    window = {
        "hours": contest.dispute_window_hours,
        "opens_at": certified["at"].isoformat(),
        "closes_at": closes.isoformat(),
    }
    who = actor.to_dict()
    top.note_result_step(step="determined", ref=f"certificate {certificate['number']}", actor=who)
    determination = Determination(
        election_id=election_id,
        contest_id=contest_id,
        region=t.code,
        tier=t.tier.value,
        certificate={
            "number": certificate["number"],
            "certified_at": certified["at"].isoformat(),
            "position": certified["position"],
        },
        window=window,
        disputes=disputes,
        result={k: certificate[k] for k in ("verdict", "seats") if certificate.get(k)},
        figures=certificate["figures"]["total"],
        signed_by=list(command.signed_by),
        actor=who,
    )
    position = _save(ctx, top, determination)
    return StepOutcome(
        election_id,
        contest_id,
        position,
        {"result": "determined", "certificate": certificate["number"], "window": window},
    )


# -- what they read ------------------------------------------------------------------------------


def _top(ctx: PlenaryContext, contest: Contest) -> tuple[Target, Plenary | None]:
    t = locate(ctx, contest.election_id, contest.contest_id, contest.region)
    eid, cid = contest.election_id, contest.contest_id
    return t, ctx.app.get_or_none(Plenary.create_id(eid, cid, t.code))


def _require_certified(t: Target, top: Plenary | None) -> None:
    if top is None or not top.is_certified:
        status = top.status.value if top is not None else PlenaryStatus.NOT_OPEN.value
        raise Conflict(
            f"the result of {t.contest.contest_id} is not certified: the {t.tier} plenary of "
            f"{t.code} is {status.replace('_', ' ')}; a dispute is over a certified result"
        )


def _dispute(ctx: PlenaryContext, contest: Contest, dispute_id: str) -> Dispute:
    try:
        aggregate_id = UUID(dispute_id)
    except ValueError:
        aggregate_id = None
    dispute = ctx.app.get_or_none(aggregate_id) if aggregate_id is not None else None
    if (
        not isinstance(dispute, Dispute)
        or dispute.election_id != contest.election_id
        or dispute.contest_id != contest.contest_id
    ):
        raise NotFound(f"no dispute {dispute_id} over {contest.contest_id}")
    return dispute


def _ordered_plenaries(
    ctx: PlenaryContext, contest: Contest, command: RuleOnDispute
) -> list[Target]:
    """The plenaries a ruling reopens, each a plenary of the contest named once and none above
    another (it reopens with the one below); its TPS under them: else 422 naming each."""
    errors = ErrorList()
    codes = list(command.plenaries)
    targets = []
    for i, code in enumerate(codes):
        below = next((c for c in codes if c != code and is_within(c, code)), None)
        if codes.index(code) != i:
            errors.add(f"plenaries.{i}", f"{code} is named twice")
        elif below is not None:
            errors.add(f"plenaries.{i}", f"{code} reopens with {below}, below it: name one")
        else:
            try:
                targets.append(locate(ctx, contest.election_id, contest.contest_id, code))
            except NotFound as exc:
                errors.add(f"plenaries.{i}", exc.message)
    for i, tps in enumerate(command.tps):
        if not any(is_within(tps, t.code) for t in targets):
            errors.add(f"tps.{i}", f"TPS {tps} is under none of the plenaries the ruling reopens")
            continue
        try:
            ctx.ref.tps_dpt(contest.election_id, tps)
        except NotFound as exc:
            errors.add(f"tps.{i}", exc.message)
    if errors:
        raise InvalidInput("the ruling cannot be recorded", errors.errors)
    return targets


def _certified(
    ctx: PlenaryContext, tx: Tx, t: Target, certificate: dict[str, Any] | None
) -> dict[str, Any] | None:
    """When the top plenary's current certificate was issued, and its log position."""
    if certificate is None:
        return None
    rows = tx.query(
        f"SELECT certified_at, position FROM {ctx.prefix}plenary_certificate "
        "WHERE election_id = %s AND contest_id = %s AND code = %s AND number = %s",
        (t.contest.election_id, t.contest.contest_id, t.code, certificate["number"]),
    )
    if not rows:  # not projected yet: the read model is behind the aggregate it was synced to
        raise Conflict("the recap is still catching up with the log; retry in a moment")
    return {"at": datetime.fromisoformat(rows[0]["certified_at"]), "position": rows[0]["position"]}


def _disputes(ctx: PlenaryContext, tx: Tx, contest: Contest) -> list[dict[str, Any]]:
    rows = tx.query(
        f"SELECT dispute_id, ref, outcome FROM {ctx.prefix}dispute WHERE election_id = %s "
        "AND contest_id = %s ORDER BY filed_at, dispute_id",
        (contest.election_id, contest.contest_id),
    )
    return [dict(r) for r in rows]


# -- what they write -----------------------------------------------------------------------------


def _save(ctx: PlenaryContext, *aggregates: Aggregate) -> int:
    """Save in one call: a command that read an older version of any of them records nothing."""
    try:
        return ctx.app.save_and_position(*aggregates)
    except IntegrityError:
        raise Conflict(
            "the contest's result (its top plenary or a dispute) changed meanwhile; nothing was "
            "recorded: read it again and retry"
        ) from None


def _dispute_outcome(
    dispute: Dispute, dispute_id: UUID, position: int, **extra: Any
) -> StepOutcome:
    ruling = dispute.ruling
    return StepOutcome(
        dispute.election_id,
        dispute.contest_id,
        position,
        {
            "dispute_id": str(dispute_id),
            "ref": dispute.ref,
            "status": "open" if ruling is None else "ruled",
            "outcome": ruling["outcome"] if ruling else None,
            **{k: v for k, v in extra.items() if v is not None},
        },
    )
