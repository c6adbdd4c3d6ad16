"""Reopen a certified plenary, and with it every certified plenary above it (their certificates
are superseded): by that tier's authority or one above it, or by a court order."""

from __future__ import annotations

from typing import Any

from domain.access import Actor, Role, require_reopener
from domain.errors import ErrorList
from domain.plenary import OrderKind, Plenary, PlenaryStatus, plenaries_above
from service.usecases.plenary.context import (
    PlenaryContext,
    PlenaryOutcome,
    Target,
    load_plenary,
    locate,
    save_plenary,
)
from service.usecases.plenary.inputs import choice, field_errors, text, tps_field


def reopen(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    body: dict[str, Any],
) -> PlenaryOutcome:
    """Reopen a certified plenary and every certified plenary above it (certificates superseded).

    By that tier's authority or one above it in the same region, or by a court order (re-vote,
    re-count, re-recap) with its reference.
    """
    t = locate(ctx, election_id, contest_id, code)
    require_reopener(actor, t.tier, t.code)
    with field_errors("the plenary cannot be reopened") as errors:
        reason = text(body.get("reason"), "reason", errors)
        order = _order(t, body.get("order"), errors)
        if actor.role is Role.COURT and order is None and not errors:
            errors.add("order", "a court reopens by an order {kind, ref}")
    plenary = load_plenary(ctx, t)
    who = actor.to_dict()
    plenary.reopen(reason=reason, order=order, actor=who)
    touched = [plenary]
    for above_code in plenaries_above(t.contest, t.code):
        above = ctx.app.get_or_none(Plenary.create_id(election_id, contest_id, above_code))
        if above is None:
            continue
        if above.is_certified:
            above.reopen(
                reason=f"{t.tier} {t.code} reopened: {reason}",
                order=None,
                actor=who,
                cascade_from=t.code,
            )
        else:
            above.note_reopened_below(code=t.code, reason=reason, actor=who)
        touched.append(above)
    reopened = [p.code for p in touched if p.status is PlenaryStatus.REOPENED]
    return save_plenary(ctx, t, *touched, reopened=reopened, order=order)


def _order(t: Target, raw: object, errors: ErrorList) -> dict[str, Any] | None:
    """A court order {kind, ref, tps} (tps: the TPS of a re-vote), or None for no order."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        errors.add("order", "an object {kind, ref}")
        return None
    kind = choice(OrderKind, raw.get("kind"), "order.kind", errors)
    ref = text(raw.get("ref"), "order.ref", errors)
    tps_list = [
        tps_field(t, code, f"order.tps.{i}", errors) for i, code in enumerate(raw.get("tps") or [])
    ]
    for key in raw:
        if key not in ("kind", "ref", "tps"):
            errors.add(f"order.{key}", "unknown field")
    if kind is None:
        return None
    return {"kind": kind.value, "ref": ref, "tps": tps_list}
