"""The plenary in session: open it, raise and resolve objections (an accepted one may correct a
TPS), record and answer a supervisor's recommendations."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from domain.access import Actor, Role, require_objector, require_plenary_official
from domain.codes import Tier, is_within, normalise, tier_of
from domain.commands import (
    AnswerRecommendation,
    RaiseObjection,
    RecordRecommendation,
    ResolveObjection,
)
from domain.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from domain.plenary import ObjectionSubject, Plenary, next_plenary
from service.usecases.plenary.context import (
    PlenaryContext,
    PlenaryOutcome,
    Target,
    addressed,
    child_plenaries,
    locate,
    save_plenary,
)
from service.usecases.plenary.corrections import record_correction


def open_plenary(
    ctx: PlenaryContext, actor: Actor, election_id: str, contest_id: str, code: str
) -> PlenaryOutcome:
    """Open the plenary; opening needs nothing (a kecamatan's TPS then lock for KPPS)."""
    t = locate(ctx, election_id, contest_id, code)
    require_plenary_official(actor, t.tier, t.code)
    if ctx.app.get_or_none(Plenary.create_id(election_id, contest_id, t.code)) is not None:
        raise Conflict(f"the {t.tier} plenary of {t.code} is already open (or was)")
    plenary = Plenary(
        election_id=election_id,
        contest_id=contest_id,
        code=t.code,
        tier=t.tier.value,
        actor=actor.to_dict(),
    )
    return save_plenary(ctx, t, plenary)


def objector(actor: Actor, t: Target) -> None:
    """Witnesses within their mandate (region, contest), supervisors within their region."""
    require_objector(actor, t.contest.contest_id, t.code)


def supervisor(actor: Actor, t: Target) -> None:
    if actor.role is not Role.BAWASLU:
        raise Forbidden("only a supervisor (bawaslu) records recommendations")
    objector(actor, t)


def raise_objection(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    command: RaiseObjection,
) -> PlenaryOutcome:
    """A witness (within its mandate) or a supervisor objects: procedure, a TPS, a child region."""
    t, plenary = addressed(ctx, actor, election_id, contest_id, code, objector)
    target = command.target
    if command.subject is not ObjectionSubject.PROCEDURE:
        target = _objection_target(ctx, t, command.subject, target)
    objection_id = plenary.raise_objection(
        subject=command.subject.value, target=target, detail=command.detail, actor=actor.to_dict()
    )
    return save_plenary(ctx, t, plenary, objection_id=objection_id)


def resolve_objection(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    command: ResolveObjection,
) -> PlenaryOutcome:
    """Accepted (with the correction it leads to, a kejadian khusus) or not accepted (keberatan,
    carried up to the next tier's plenary)."""
    t, plenary = addressed(ctx, actor, election_id, contest_id, code)
    if command.correction is not None and not command.accepted:
        message = "only an accepted objection leads to a correction"
        raise InvalidInput(message, [FieldError("correction", message)])
    objection_id = command.objection_id
    carried = None
    if objection_id not in plenary.minutes.objections:
        carried = _carried_objection(ctx, t, objection_id)
    plenary.resolve_objection(
        objection_id=objection_id,
        accepted=command.accepted,
        note=command.note,
        carried=carried,
        carried_to=next_plenary(t.contest, t.code),
        actor=actor.to_dict(),
    )
    if command.correction is None:
        return save_plenary(ctx, t, plenary, objection_id=objection_id)
    correction = replace(command.correction, objection_id=objection_id)
    result = record_correction(ctx, t, plenary, actor, correction)
    return save_plenary(
        ctx, t, plenary, result, objection_id=objection_id, tps_version=result.version
    )


def record_recommendation(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    command: RecordRecommendation,
) -> PlenaryOutcome:
    """A supervisor's (Bawaslu) recommendation: recorded, and it must be answered."""
    t, plenary = addressed(ctx, actor, election_id, contest_id, code, supervisor)
    rid = plenary.record_recommendation(text=command.text, actor=actor.to_dict())
    return save_plenary(ctx, t, plenary, recommendation_id=rid)


def answer_recommendation(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    command: AnswerRecommendation,
) -> PlenaryOutcome:
    t, plenary = addressed(ctx, actor, election_id, contest_id, code)
    plenary.answer_recommendation(
        recommendation_id=command.recommendation_id,
        followed=command.followed,
        answer=command.answer,
        actor=actor.to_dict(),
    )
    return save_plenary(ctx, t, plenary, recommendation_id=command.recommendation_id)


def _objection_target(
    ctx: PlenaryContext, t: Target, subject: ObjectionSubject, raw: str | None
) -> str:
    """The TPS or child region an objection is about, under the plenary; else 422 on `target`."""
    try:
        code = normalise(raw)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, [FieldError("target", exc.message)]) from None
    if subject is ObjectionSubject.TPS:
        if tier_of(code) is not Tier.TPS or not is_within(code, t.code):
            message = f"a TPS under {t.code}"
            raise InvalidInput(message, [FieldError("target", message)])
        try:
            ctx.ref.tps_dpt(t.contest.election_id, code)
        except NotFound as exc:
            raise InvalidInput(exc.message, [FieldError("target", exc.message)]) from None
        return code
    if code == t.code or not is_within(code, t.code) or tier_of(code) is Tier.TPS:
        message = f"a region under {t.code} (a child whose figures are disputed)"
        raise InvalidInput(message, [FieldError("target", message)])
    return code


def _carried_objection(ctx: PlenaryContext, t: Target, objection_id: str) -> dict[str, Any]:
    """The objection refused by a child plenary that this plenary now has to resolve."""
    for child in child_plenaries(ctx, t).values():
        if child is None:
            continue
        for objection in child.minutes.carried_up():
            if objection["id"] == objection_id:
                return {k: v for k, v in objection.items() if k != "resolution"} | {
                    "refused_at": objection["resolution"]["at_plenary"],
                    "refusal_note": objection["resolution"]["note"],
                }
    raise NotFound(f"no objection {objection_id} in the plenary of {t.code} or carried up to it")
