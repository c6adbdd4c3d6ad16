"""Reopen a certified plenary, and with it every certified plenary above it (their certificates
are superseded): by that tier's authority or one above it, or by a court order."""

from __future__ import annotations

from domain.access import Actor, Role, require_reopener
from domain.commands import Reopen
from domain.errors import FieldError, InvalidInput
from domain.plenary import Plenary, PlenaryStatus, plenaries_above
from service.usecases.plenary.context import (
    PlenaryContext,
    PlenaryOutcome,
    Target,
    addressed,
    save_plenary,
)
from service.usecases.plenary.inputs import tps_under


def reopener(actor: Actor, t: Target) -> None:
    """That tier's authority or one above it in the same region, or a court."""
    require_reopener(actor, t.tier, t.code)


def reopen(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    command: Reopen,
) -> PlenaryOutcome:
    """Reopen a certified plenary and every certified plenary above it (certificates superseded).

    By that tier's authority or one above it in the same region, or by a court order (re-vote,
    re-count, re-recap) with its reference.
    """
    t, plenary = addressed(ctx, actor, election_id, contest_id, code, reopener)
    if actor.role is Role.COURT and command.order is None:
        message = "a court reopens by an order {kind, ref}"
        raise InvalidInput(message, [FieldError("order", message)])
    for i, tps in enumerate(command.order.tps if command.order else ()):
        try:
            tps_under(t, tps)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, [FieldError(f"order.tps.{i}", exc.message)]) from None
    order = command.order.to_dict() if command.order else None
    who = actor.to_dict()
    plenary.reopen(reason=command.reason, order=order, actor=who)
    touched = [plenary]
    for above_code in plenaries_above(t.contest, t.code):
        above = ctx.app.get_or_none(Plenary.create_id(election_id, contest_id, above_code))
        if above is None:
            continue
        if above.is_certified:
            above.reopen(
                reason=f"{t.tier} {t.code} reopened: {command.reason}",
                order=None,
                actor=who,
                cascade_from=t.code,
            )
        else:
            above.note_reopened_below(code=t.code, reason=command.reason, actor=who)
        touched.append(above)
    reopened = [p.code for p in touched if p.status is PlenaryStatus.REOPENED]
    return save_plenary(ctx, t, *touched, reopened=reopened, order=order)
