"""A TPS's first result read in its kecamatan plenary, from the sealed C.Hasil, when its upload
never came: an event of the TPS (its source is the plenary) saved with an event of the plenary
(its minutes), so it races safely with a certification and with a late upload of the KPPS."""

from __future__ import annotations

from domain.access import Actor
from domain.codes import Tier
from domain.commands import ReadResultInPlenary
from domain.errors import Conflict, ErrorList, FieldError, InvalidInput, NotFound
from domain.tps_result import READ_IN_PLENARY, TpsResult
from service.usecases.plenary.context import (
    PlenaryContext,
    PlenaryOutcome,
    addressed,
    save_plenary,
)
from service.usecases.plenary.inputs import form_of, tps_under


def read_result(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    command: ReadResultInPlenary,
) -> PlenaryOutcome:
    """Record the first result of a TPS that has none, as read in this open kecamatan plenary."""
    t, plenary = addressed(ctx, actor, election_id, contest_id, code)
    if t.tier is not Tier.KECAMATAN:
        raise Conflict(f"a TPS's result is read in its kecamatan plenary, not at {t.code}")
    try:
        tps = tps_under(t, command.tps)
        ctx.ref.tps_dpt(election_id, tps)
    except (InvalidInput, NotFound) as exc:
        raise InvalidInput(exc.message, [FieldError("tps", exc.message)]) from None
    errors = ErrorList()
    for i, page in enumerate(command.evidence):
        if not ctx.evidence_exists(page.sha256):
            errors.add(f"evidence.{i}.sha256", "no evidence with this digest was uploaded")
    if errors:
        raise InvalidInput("the result cannot be recorded", errors.errors)
    form = form_of(t, command.form, tps).to_dict()
    plenary.require_open()
    result_id = TpsResult.create_id(election_id, contest_id, tps)
    if ctx.app.get_or_none(result_id) is not None:
        raise Conflict(
            f"TPS {tps} already has a result: a different reading is a correction "
            f"(POST .../plenaries/{t.code}/corrections)"
        )
    evidence = [page.to_dict() for page in command.evidence]
    plenary.record_result_read(
        tps=tps, form=form, reason=command.reason, evidence=evidence, actor=actor.to_dict()
    )
    result = TpsResult(
        election_id=election_id,
        contest_id=contest_id,
        tps=tps,
        form=form,
        evidence=evidence,
        submission_id=f"{READ_IN_PLENARY}:{t.code}:{plenary.version}",
        captured_at=None,
        source=READ_IN_PLENARY,
        actor=actor.to_dict(),
    )
    return save_plenary(ctx, t, plenary, result, tps=tps, tps_version=result.version)
