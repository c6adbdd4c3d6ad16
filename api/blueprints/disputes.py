"""After a contest's top plenary certifies: disputes at the Constitutional Court and their
rulings (a court), the determination (penetapan) of the result (the top tier's KPU); read the
result's state, its dispute window, the disputes and the certificate of determination."""

from __future__ import annotations

from typing import Any

from marshmallow import fields as f
from marshmallow import validate as v

from api.auth import current_actor, public, requires
from api.http import Blueprint, await_position, problems, public_read, services
from api.printable import printable_or_json
from api.schemas import Strict, WaitForArgs
from domain.access import Role
from domain.commands import Determine, FileDispute, RuleOnDispute
from service.input.disputes import DeterminationSchema, DisputeSchema, RulingSchema
from service.read.certificate import determination_document
from service.usecases import disputes as use
from service.usecases.plenary import PlenaryContext

blp = Blueprint(
    "disputes",
    __name__,
    url_prefix="/api/v1",
    description="Disputes at the Constitutional Court and the determination of the result",
)

CONTEST = "/elections/<eid>/contests/<cid>"
TOP_OFFICIALS = (Role.KPU_KABKOTA, Role.KPU_PROVINSI, Role.KPU_RI)
RESULTS = ["certified", "disputed", "determined"]


class StepOutcomeSchema(Strict):
    election = f.String(required=True)
    contest = f.String(required=True)
    dispute_id = f.String()
    ref = f.String()
    status = f.String(validate=v.OneOf(["open", "ruled"]))
    outcome = f.String(allow_none=True)
    reopened = f.List(f.String(), metadata={"description": "the plenaries the ruling reopened"})
    order = f.Dict(metadata={"description": "the court order the reopened plenaries record"})
    result = f.String(validate=v.OneOf(RESULTS))
    certificate = f.Integer(metadata={"description": "the top certificate determined"})
    window = f.Dict()
    position = f.Integer(required=True, metadata={"description": "for ?wait_for= on reads"})


class DisputesSchema(Strict):
    election = f.String()
    contest = f.String()
    region = f.String()
    result = f.String(
        allow_none=True,
        validate=v.OneOf(RESULTS),
        metadata={"description": "null until the top plenary certifies"},
    )
    window = f.Dict(
        allow_none=True,
        metadata={"description": "hours, opens_at (the top certificate), closes_at"},
    )
    disputes = f.List(f.Dict())
    determination = f.Dict(allow_none=True)
    position = f.Integer()


class DeterminationArgs(Strict):
    format = f.String(validate=v.OneOf(["json", "html"]))


# -- writes -----------------------------------------------------------------------------------


@blp.route(f"{CONTEST}/disputes", methods=["POST"])
@requires(Role.COURT)
@blp.arguments(DisputeSchema)
@blp.response(201, StepOutcomeSchema)
@blp.alt_response(200, schema=StepOutcomeSchema, description="recorded already, the same")
@problems(blp, 400, 404, 409, 413, 415, 422, auth=True)
def file_dispute(command: FileDispute, eid: str, cid: str) -> Any:
    """Record a dispute over the contest's certified result (the Court's case number, once).
    409 before the top plenary certifies, once the result is determined, or for a case number
    recorded with another detail."""
    outcome, created = use.file_dispute(_ctx(), current_actor(), eid, cid, command)
    return outcome.to_dict(), 201 if created else 200


@blp.route(f"{CONTEST}/disputes/<did>/ruling", methods=["POST"])
@requires(Role.COURT)
@blp.arguments(RulingSchema)
@blp.response(201, StepOutcomeSchema)
@problems(blp, 400, 404, 409, 413, 415, 422, auth=True)
def rule_on_dispute(command: RuleOnDispute, eid: str, cid: str, did: str) -> Any:
    """Record the Court's ruling: `rejected`, or `re_vote`, `re_count`, `re_recap`, which reopen
    the `plenaries` it names (and every certified plenary above them) with the ruling as their
    court order; a re-vote names its `tps`."""
    return use.rule_on_dispute(_ctx(), current_actor(), eid, cid, did, command).to_dict(), 201


@blp.route(f"{CONTEST}/determination", methods=["POST"])
@requires(*TOP_OFFICIALS)
@blp.arguments(DeterminationSchema)
@blp.response(201, StepOutcomeSchema)
@problems(blp, 400, 404, 409, 413, 415, 422, auth=True)
def determine(command: Determine, eid: str, cid: str) -> Any:
    """Determine the result (penetapan), by the KPU of the contest's top tier. 409 lists in
    `errors` every reason that blocks it: the top plenary not certified, the dispute window
    still open, a dispute awaiting its ruling."""
    return use.determine(_ctx(), current_actor(), eid, cid, command).to_dict(), 201


# -- reads ------------------------------------------------------------------------------------


@blp.route(f"{CONTEST}/disputes", methods=["GET"])
@public
@blp.arguments(WaitForArgs, location="query", as_kwargs=True)
@blp.response(200, DisputesSchema)
@problems(blp, 400, 404, 422, 503)
def disputes(eid: str, cid: str, wait_for: int | None = None) -> Any:
    """The result's state (certified, disputed, determined), its dispute window, every dispute
    with its ruling, and the determination once recorded."""
    await_position(wait_for)
    contest = services().queries.contest(eid, cid)
    return public_read(services().queries.disputes.document(contest))


@blp.route(f"{CONTEST}/disputes/<did>", methods=["GET"])
@public
@blp.arguments(WaitForArgs, location="query", as_kwargs=True)
@blp.response(200, description="one dispute with its ruling")
@problems(blp, 400, 404, 422, 503)
def dispute(eid: str, cid: str, did: str, wait_for: int | None = None) -> Any:
    """One dispute: its case number, detail, the certificate it is over, and its ruling."""
    await_position(wait_for)
    contest = services().queries.contest(eid, cid)
    return public_read(services().queries.disputes.dispute(contest, did))


@blp.route(f"{CONTEST}/determination", methods=["GET"])
@public
@blp.arguments(DeterminationArgs, location="query", as_kwargs=True)
@blp.response(200, description="the certificate of determination, as JSON or printable HTML")
@problems(blp, 404, 422)
def determination(eid: str, cid: str, format: str | None = None) -> Any:
    """The certificate of determination: the certificate it rests on, the dispute window, the
    disputes and their rulings, the figures and the winner rule's verdict, who signed.
    `?format=html` (or Accept: text/html) gives the printable page."""
    contest = services().queries.contest(eid, cid)
    document = determination_document(contest, services().queries.disputes.determination(contest))
    return printable_or_json(document, format, template="penetapan.html")


def _ctx() -> PlenaryContext:
    return services().plenary
