"""A plenary changing what a TPS reads: a correction in its minutes, the result of a
court-ordered re-vote, the acceptance of a hard anomaly; and the lock that leaves a TPS's
corrections to the plenaries once its kecamatan plenary has opened."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.access import Actor
from domain.codes import tier_of
from domain.commands import AcceptAnomaly, CorrectInPlenary, RecordRevote
from domain.errors import Conflict
from domain.plenary import Plenary, PlenaryStatus, TierLocked, plenaries_below
from domain.rules import Severity, check_form
from domain.tps_result import TpsResult
from service.store.application import Rekap
from service.usecases.plenary.context import (
    PlenaryContext,
    PlenaryOutcome,
    Target,
    addressed,
    save_plenary,
    tps_result,
)
from service.usecases.plenary.inputs import form_of, tps_under


def correct(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    command: CorrectInPlenary,
) -> PlenaryOutcome:
    """Correct a TPS's figures in this plenary's minutes (with the reason and the objection)."""
    t, plenary = addressed(ctx, actor, election_id, contest_id, code)
    result = record_correction(ctx, t, plenary, actor, command)
    return save_plenary(ctx, t, plenary, result, tps=result.tps, tps_version=result.version)


def record_revote(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    command: RecordRevote,
) -> PlenaryOutcome:
    """The result of a court-ordered re-vote (PSU) replaces the TPS's result; the old one stays."""
    t, plenary = addressed(ctx, actor, election_id, contest_id, code)
    tps = tps_under(t, command.tps)
    form = form_of(t, command.form, tps)
    result = _result_to_change(ctx, t, plenary, tps)
    order = plenary.record_revote(
        tps=tps,
        from_version=result.version,
        before=result.form,
        after=form.to_dict(),
        actor=actor.to_dict(),
    )
    result.revote(
        form=form.to_dict(),
        order=order,
        plenary=_plenary_ref(t, plenary),
        actor=actor.to_dict(),
    )
    return save_plenary(ctx, t, plenary, result, tps=tps, tps_version=result.version)


def accept_anomaly(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    command: AcceptAnomaly,
) -> PlenaryOutcome:
    """Accept the hard anomaly of a TPS's current reading, with a written reason."""
    t, plenary = addressed(ctx, actor, election_id, contest_id, code)
    tps = tps_under(t, command.tps)
    result = tps_result(ctx, t, tps)
    form = form_of(t, result.form, tps)
    rules = sorted({a.rule for a in check_form(form) if a.severity is Severity.HARD})
    plenary.accept_anomaly(
        tps=tps,
        result_version=result.version,
        rules=rules,
        reason=command.reason,
        actor=actor.to_dict(),
    )
    return save_plenary(ctx, t, plenary, tps=tps, tps_version=result.version, rules=rules)


def record_correction(
    ctx: PlenaryContext, t: Target, plenary: Plenary, actor: Actor, command: CorrectInPlenary
) -> TpsResult:
    """Record a correction on the plenary and on the TPS result (both saved by the caller)."""
    tps = tps_under(t, command.tps)
    form = form_of(t, command.form, tps)
    result = _result_to_change(ctx, t, plenary, tps)
    plenary.record_correction(
        tps=tps,
        from_version=result.version,
        before=result.form,
        after=form.to_dict(),
        reason=command.reason,
        objection_id=command.objection_id,
        actor=actor.to_dict(),
    )
    result.correct(
        form=form.to_dict(),
        reason=command.reason,
        expected_version=result.version,
        actor=actor.to_dict(),
        objection_id=command.objection_id,
        plenary=_plenary_ref(t, plenary),
    )
    return result


def correction_guard(app: Rekap) -> Callable[[str, str, str], None]:
    """Once a TPS's kecamatan plenary has opened, only plenaries correct that TPS."""

    def guard(election_id: str, contest_id: str, tps: str) -> None:
        if Plenary.create_id(election_id, contest_id, tps[:6]) in app.repository:
            raise TierLocked(
                f"the kecamatan plenary of {tps[:6]} has opened: TPS {tps} is corrected only "
                "in a plenary now"
            )

    return guard


def _result_to_change(ctx: PlenaryContext, t: Target, plenary: Plenary, tps: str) -> TpsResult:
    """The TPS's result, if this plenary may change it now: it is open, and every plenary
    between it and the TPS has certified."""
    plenary.require_open()
    _require_below_certified(ctx, t, tps)
    return tps_result(ctx, t, tps)


def _require_below_certified(ctx: PlenaryContext, t: Target, tps: str) -> None:
    """A plenary corrects a TPS only when every plenary between them has certified."""
    for code in plenaries_below(t.contest, tps, t.code):
        below = ctx.app.get_or_none(
            Plenary.create_id(t.contest.election_id, t.contest.contest_id, code)
        )
        status = below.status if below is not None else PlenaryStatus.NOT_OPEN
        if status is not PlenaryStatus.CERTIFIED:
            raise Conflict(
                f"TPS {tps} is corrected in the {tier_of(code)} plenary of {code} until it "
                f"certifies (it is {status.value})"
            )


def _plenary_ref(t: Target, plenary: Plenary) -> dict[str, Any]:
    return {"code": t.code, "tier": t.tier.value, "version": plenary.version}
