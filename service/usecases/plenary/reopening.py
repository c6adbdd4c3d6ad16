"""Reopen a certified plenary, and with it every certified plenary above it (their certificates
are superseded): by that tier's authority or one above it, or by a court order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.access import Actor, Role, require_reopener
from domain.commands import Reopen
from domain.contests import Contest
from domain.determination import Determination
from domain.errors import Conflict, FieldError, InvalidInput
from domain.plenary import Plenary, plenaries_above
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
    reopening = Reopening()
    reopen_with_cascade(
        ctx, t, plenary, reason=command.reason, order=order, actor=actor, into=reopening
    )
    return save_plenary(
        ctx, t, *reopening.touched.values(), reopened=reopening.reopened, order=order
    )


@dataclass
class Reopening:
    """What one command reopens: the plenaries it changed, by code, and those it reopened."""

    touched: dict[str, Plenary] = field(default_factory=dict)
    reopened: list[str] = field(default_factory=list)


def reopen_with_cascade(
    ctx: PlenaryContext,
    t: Target,
    plenary: Plenary,
    *,
    reason: str,
    order: dict[str, Any] | None,
    actor: Actor,
    into: Reopening,
) -> None:
    """Reopen `plenary` and every certified plenary above it, and note it in those above that
    are open, `into` what the command changes (a ruling reopens several plenaries at once);
    the caller saves them in one call."""
    require_not_determined(ctx, t.contest)
    who = actor.to_dict()
    plenary.reopen(reason=reason, order=order, actor=who)
    into.touched[t.code] = plenary
    into.reopened.append(t.code)
    eid, cid = t.contest.election_id, t.contest.contest_id
    for above_code in plenaries_above(t.contest, t.code):
        above = into.touched.get(above_code) or ctx.app.get_or_none(
            Plenary.create_id(eid, cid, above_code)
        )
        if above is None:
            continue
        if above.is_certified:
            above.reopen(
                reason=f"{t.tier} {t.code} reopened: {reason}",
                order=None,
                actor=who,
                cascade_from=t.code,
            )
            into.reopened.append(above_code)
        else:
            above.note_reopened_below(code=t.code, reason=reason, actor=who)
        into.touched[above_code] = above


def require_not_determined(ctx: PlenaryContext, contest: Contest) -> None:
    """A determined result is final: no plenary of its contest reopens."""
    eid, cid = contest.election_id, contest.contest_id
    if ctx.app.get_or_none(Determination.create_id(eid, cid)) is not None:
        raise Conflict(f"the result of {cid} is determined: its plenaries no longer reopen")
