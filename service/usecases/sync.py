"""What a kecamatan node did offline, replayed here (`rekap node push` -> `POST /api/v1/sync`).

Central does not trust the node. The push is made with the token of the kecamatan's official
(checked here as any write is); each step is then replayed, in the node's order, through the use
case its API route calls, as the actor who did it on the node, against this store's state, with
every rule and access check of that use case. The actor of every event it writes carries the
step's `origin` (the node, the step, its time there, who pushed it), so the audit log shows where
it came from. A step is answered `applied`, `already_applied` or `conflict` with the reason; a
step is one use case, saved in one transaction: applied whole or not at all.

Idempotent by the step's id: the id is in the events a step wrote, so a push repeated, or
resumed after the link dropped midway, finds the steps done already in the log itself.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

from domain.access import Actor, Role, make_actor, require_plenary_official
from domain.codes import Tier, is_within, tier_of, tps_code
from domain.errors import DomainError, FieldError, Forbidden, InvalidInput
from domain.plenary import Plenary
from domain.tps_result import TpsResult
from service.input import load
from service.input import plenary as given
from service.input import results as given_results
from service.input.sync import PLENARY_STEPS, Push, Step, Unreadable
from service.store import sync_log
from service.store.eventlog import raw_events_of
from service.usecases import plenary as use
from service.usecases import results
from service.usecases.plenary import PlenaryContext
from service.usecases.results import ResultsContext

# How an event names the step it replays (in its actor's origin), as the log stores it.
STEP_NAMED = re.compile(rb'"step": ?"([^"\\]{1,100})"')
# The roles a node's people act in: its kecamatan's KPPS, operator, PPK, witnesses, supervisors.
NODE_ROLES = (Role.KPPS, Role.OPERATOR, Role.PPK, Role.SAKSI, Role.BAWASLU)


@dataclass
class SyncContext:
    plenary: PlenaryContext
    results: ResultsContext
    keep_evidence: Callable[[bytes], str] | None = None  # stores a page; its sha256


@dataclass(frozen=True)
class Done:
    position: int
    created: bool = True


Replay = Callable[[SyncContext, Actor, str, Step], Done]


def push(ctx: SyncContext, pusher: Actor, command: Push) -> dict[str, Any]:
    """Replay a node's steps, each alone; the answer of every step, in order."""
    if tier_of(command.region) is not Tier.KECAMATAN:
        message = "a node holds one kecamatan (6 digits)"
        raise InvalidInput(message, [FieldError("region", message)])
    require_plenary_official(pusher, Tier.KECAMATAN, command.region)
    _keep_evidence(ctx, command)
    applied = AppliedSteps(ctx)
    answers = [_answer(ctx, applied, pusher, command, step) for step in command.steps]
    counts: dict[str, int] = {}
    for answer in answers:
        counts[answer["status"]] = counts.get(answer["status"], 0) + 1
    positions = [a["position"] for a in answers if "position" in a]
    return {
        "node": command.node,
        "election": command.election,
        "region": command.region,
        "counts": counts,
        "position": max(positions, default=ctx.plenary.runner.head()),
        "steps": answers,
    }


def _keep_evidence(ctx: SyncContext, command: Push) -> None:
    """The pages the steps cite, kept as an upload keeps them (checked to be a page by their
    bytes); a file that is not the page it claims to be is not kept, so the step citing it
    answers the conflict a submission citing an unknown page gets."""
    if ctx.keep_evidence is None:
        return
    for sha256, data in command.evidence:
        if hashlib.sha256(data).hexdigest() != sha256:
            continue
        try:
            ctx.keep_evidence(data)
        except InvalidInput:
            continue


def _answer(
    ctx: SyncContext, applied: AppliedSteps, pusher: Actor, push: Push, step: Step | Unreadable
) -> dict[str, Any]:
    if isinstance(step, Unreadable):
        return _conflict(step.id, step.error)
    try:
        actor = _node_actor(pusher, push, step)
        found = applied.position_of(_aggregate(push, step), step.id)
        if found:
            answer: dict[str, Any] = {"step": step.id, "status": "already_applied"}
            answer["position"] = found
        else:
            done = REPLAYS[step.kind](ctx, actor, push.election, step)
            status = "applied" if done.created else "already_applied"
            answer = {"step": step.id, "status": status, "position": done.position}
    except DomainError as exc:
        sync_log.record_conflict(
            ctx.plenary.db,
            {
                "step_id": step.id,
                "node": push.node,
                "election_id": push.election,
                "contest_id": step.contest,
                "region": push.region,
                "target": step.target,
                "kind": step.kind,
                "code": exc.code,
                "reason": exc.message,
                "detail": {"errors": [e.to_dict() for e in exc.errors], **exc.details},
                "done_at": step.at.isoformat(),
                "pushed_by": pusher.id,
                "position": ctx.plenary.runner.head(),
            },
        )
        return _conflict(step.id, exc)
    sync_log.clear_conflict(ctx.plenary.db, step.id)
    return answer


def _conflict(step_id: str | None, error: DomainError) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "step": step_id,
        "status": "conflict",
        "code": error.code,
        "reason": error.message,
        **error.details,
    }
    if error.errors:
        answer["errors"] = [e.to_dict() for e in error.errors]
    return answer


def _node_actor(pusher: Actor, push: Push, step: Step) -> Actor:
    """Who did the step on the node, as one of the kecamatan's people, with the step's origin."""
    doc = step.actor
    candidate = doc.get("candidate")
    actor = make_actor(
        str(doc.get("id") or ""),
        str(doc.get("role") or ""),
        doc.get("scope") if isinstance(doc.get("scope"), str) else None,
        doc.get("contest") if isinstance(doc.get("contest"), str) else None,
        candidate if isinstance(candidate, int) else None,
        str(doc.get("name") or "")[:200],
    )
    if not actor.id or actor.role not in NODE_ROLES:
        raise Forbidden(f"a node's step is done by its kecamatan's people, not by {actor.role}")
    if actor.role in (Role.KPPS, Role.PPK) and not is_within(actor.scope or "", push.region):
        raise Forbidden(f"{actor.role} {actor.scope} does not act in kecamatan {push.region}")
    origin = {
        "node": push.node,
        "step": step.id,
        "at": step.at.isoformat(),
        "pushed_by": pusher.id,
    }
    return replace(actor, origin=origin)


def _aggregate(push: Push, step: Step) -> UUID:
    """The aggregate a step writes on (and whose events name it once it is applied)."""
    if step.kind in PLENARY_STEPS:
        if step.target != push.region:
            raise Forbidden(f"a node of {push.region} does not run the plenary of {step.target}")
        return Plenary.create_id(push.election, step.contest, step.target)
    if tier_of(step.target) is not Tier.TPS or not is_within(step.target, push.region):
        raise Forbidden(f"TPS {step.target} is not in kecamatan {push.region}")
    return TpsResult.create_id(push.election, step.contest, step.target)


class AppliedSteps:
    """The steps each aggregate's events name, read once per push and then only what the log
    added since (a plenary of a thousand steps is not read a thousand times)."""

    def __init__(self, ctx: SyncContext) -> None:
        self.ctx = ctx
        self.seen: dict[UUID, tuple[int, dict[str, int]]] = {}

    def position_of(self, aggregate: UUID, step_id: str) -> int | None:
        after, steps = self.seen.get(aggregate, (0, {}))
        for event in raw_events_of(self.ctx.plenary.db, [aggregate], after=after):
            position = int(event["position"])  # type: ignore[call-overload]
            for named in STEP_NAMED.findall(event["state"]):  # type: ignore[arg-type]
                steps.setdefault(named.decode(), position)
            after = max(after, position)
        self.seen[aggregate] = (after, steps)
        return steps.get(step_id)


# -- the replay of each kind of step, through the use case of its API route --------------------


def _plenary(call: Callable[..., use.PlenaryOutcome], loader: Any = None) -> Replay:
    def replay(ctx: SyncContext, actor: Actor, election_id: str, step: Step) -> Done:
        args = () if loader is None else (loader(step),)
        outcome = call(ctx.plenary, actor, election_id, step.contest, step.target, *args)
        return Done(outcome.position)

    return replay


def _body(schema: Any) -> Callable[[Step], Any]:
    return lambda step: load(schema, step.body, "the step's body cannot be accepted")


def _certification(step: Step) -> Any:
    return replace(_body(given.CertificationSchema)(step), expect=step.expect)


def _submission(ctx: SyncContext, actor: Actor, election_id: str, step: Step) -> Done:
    command = given_results.submission(step.target, step.body)
    outcome = results.submit(ctx.results, actor, election_id, step.contest, command, "node")
    return Done(outcome.position, outcome.created)


def _tps_correction(ctx: SyncContext, actor: Actor, election_id: str, step: Step) -> Done:
    command = given_results.correction(step.target, step.body, step.version or 0)
    outcome = results.correct(ctx.results, actor, election_id, step.contest, command)
    return Done(outcome.position, outcome.created)


def _ref(step: Step) -> str:
    if not step.ref:
        raise InvalidInput("this step names what it answers in `ref`")
    return step.ref


REPLAYS: dict[str, Replay] = {
    "open": _plenary(use.open_plenary),
    "objection": _plenary(use.raise_objection, _body(given.ObjectionSchema)),
    "resolution": _plenary(
        use.resolve_objection,
        lambda s: given.resolution(_ref(s), _body(given.ResolutionSchema)(s)),
    ),
    "recommendation": _plenary(use.record_recommendation, _body(given.RecommendationSchema)),
    "answer": _plenary(
        use.answer_recommendation, lambda s: given.answer(_ref(s), _body(given.AnswerSchema)(s))
    ),
    "correction": _plenary(use.correct, _body(given.CorrectionBodySchema)),
    "result_read": _plenary(use.read_result, _body(given.ResultReadSchema)),
    "acceptance": _plenary(
        use.accept_anomaly,
        lambda s: given.acceptance(tps_code(_ref(s)), _body(given.AcceptanceSchema)(s)),
    ),
    "certification": _plenary(use.certify, _certification),
    "reopen": _plenary(use.reopen, _body(given.ReopenSchema)),
    "revote": _plenary(use.record_revote, _body(given.RevoteSchema)),
    "submission": _submission,
    "tps_correction": _tps_correction,
}
