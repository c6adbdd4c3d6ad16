"""The plenary in session: open it, raise and resolve objections (an accepted one may correct a
TPS), record and answer a supervisor's recommendations."""

from __future__ import annotations

from typing import Any

from domain.access import Actor, Role, require_objector, require_plenary_official
from domain.codes import Tier, is_within, normalise, tier_of
from domain.errors import Conflict, ErrorList, Forbidden, InvalidInput, NotFound
from domain.plenary import ObjectionSubject, Plenary, next_plenary
from service.usecases.plenary.context import (
    PlenaryContext,
    PlenaryOutcome,
    Target,
    child_plenaries,
    load_plenary,
    locate,
    save_plenary,
)
from service.usecases.plenary.corrections import record_correction
from service.usecases.plenary.inputs import choice, field_errors, text


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


def raise_objection(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    body: dict[str, Any],
) -> PlenaryOutcome:
    """A witness (within its mandate) or a supervisor objects: procedure, a TPS, a child region."""
    t = locate(ctx, election_id, contest_id, code)
    require_objector(actor, contest_id, t.code)
    with field_errors("the objection cannot be recorded") as errors:
        subject = choice(ObjectionSubject, body.get("subject"), "subject", errors)
        detail = text(body.get("detail"), "detail", errors)
        target = body.get("target")
        if subject is ObjectionSubject.PROCEDURE:
            target = target if isinstance(target, str) and target.strip() else None
        elif subject is not None:
            target = _objection_target(ctx, t, subject, target, errors)
    plenary = load_plenary(ctx, t)
    objection_id = plenary.raise_objection(
        subject=subject.value, target=target, detail=detail, actor=actor.to_dict()
    )
    return save_plenary(ctx, t, plenary, objection_id=objection_id)


def resolve_objection(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    objection_id: str,
    body: dict[str, Any],
) -> PlenaryOutcome:
    """Accepted (with the correction it leads to, a kejadian khusus) or not accepted (keberatan,
    carried up to the next tier's plenary)."""
    t = locate(ctx, election_id, contest_id, code)
    require_plenary_official(actor, t.tier, t.code)
    with field_errors("the resolution cannot be recorded") as errors:
        accepted = body.get("accepted")
        if not isinstance(accepted, bool):
            errors.add("accepted", "true or false")
        note = text(body.get("note"), "note", errors)
        correction = body.get("correction")
        if correction is not None and not isinstance(correction, dict):
            errors.add("correction", "an object {tps, form, reason}")
        if correction is not None and accepted is False:
            errors.add("correction", "only an accepted objection leads to a correction")
    plenary = load_plenary(ctx, t)
    carried = None
    if objection_id not in plenary.minutes.objections:
        carried = _carried_objection(ctx, t, objection_id)
    plenary.resolve_objection(
        objection_id=objection_id,
        accepted=accepted,
        note=note,
        carried=carried,
        carried_to=next_plenary(t.contest, t.code),
        actor=actor.to_dict(),
    )
    if correction is None:
        return save_plenary(ctx, t, plenary, objection_id=objection_id)
    result = record_correction(ctx, t, plenary, actor, {**correction, "objection_id": objection_id})
    return save_plenary(
        ctx, t, plenary, result, objection_id=objection_id, tps_version=result.version
    )


def record_recommendation(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    body: dict[str, Any],
) -> PlenaryOutcome:
    """A supervisor's (Bawaslu) recommendation: recorded, and it must be answered."""
    t = locate(ctx, election_id, contest_id, code)
    if actor.role is not Role.BAWASLU:
        raise Forbidden("only a supervisor (bawaslu) records recommendations")
    require_objector(actor, contest_id, t.code)
    with field_errors("the recommendation cannot be recorded") as errors:
        recommendation = text(body.get("text"), "text", errors)
    plenary = load_plenary(ctx, t)
    rid = plenary.record_recommendation(text=recommendation, actor=actor.to_dict())
    return save_plenary(ctx, t, plenary, recommendation_id=rid)


def answer_recommendation(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    recommendation_id: str,
    body: dict[str, Any],
) -> PlenaryOutcome:
    t = locate(ctx, election_id, contest_id, code)
    require_plenary_official(actor, t.tier, t.code)
    with field_errors("the answer cannot be recorded") as errors:
        followed = body.get("followed")
        if not isinstance(followed, bool):
            errors.add("followed", "true or false")
        answer = text(body.get("answer"), "answer", errors)
    plenary = load_plenary(ctx, t)
    plenary.answer_recommendation(
        recommendation_id=recommendation_id,
        followed=followed,
        answer=answer,
        actor=actor.to_dict(),
    )
    return save_plenary(ctx, t, plenary, recommendation_id=recommendation_id)


def _objection_target(
    ctx: PlenaryContext, t: Target, subject: ObjectionSubject, raw: object, errors: ErrorList
) -> str | None:
    try:
        code = normalise(raw)
    except InvalidInput as exc:
        errors.add("target", exc.message)
        return None
    if subject is ObjectionSubject.TPS:
        if tier_of(code) is not Tier.TPS or not is_within(code, t.code):
            errors.add("target", f"a TPS under {t.code}")
            return None
        try:
            ctx.ref.tps_dpt(t.contest.election_id, code)
        except NotFound as exc:
            errors.add("target", exc.message)
            return None
        return code
    if code == t.code or not is_within(code, t.code) or tier_of(code) is Tier.TPS:
        errors.add("target", f"a region under {t.code} (a child whose figures are disputed)")
        return None
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
