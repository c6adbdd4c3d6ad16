"""The offline kecamatan node's link to central: its steps pushed (`rekap node push`), its
bundle served (`rekap node pull`), and the reconciliation of what arrived how."""

from __future__ import annotations

from typing import Any

from marshmallow import fields as f

from api.auth import current_actor, public, requires
from api.http import Blueprint, await_position, body_limit, problems, public_read, services
from api.schemas import Strict, WaitForArgs
from domain.access import Role
from domain.codes import normalise
from service.input.fields import ID, Code
from service.input.sync import PushSchema
from service.node.bundle import export
from service.read.reconciliation import reconciliation
from service.usecases.sync import SyncContext, push

blp = Blueprint(
    "sync",
    __name__,
    url_prefix="/api/v1",
    description="Offline kecamatan nodes: push, pull, reconciliation",
)

SYNC_BODY = 64 * 1024 * 1024  # a kecamatan's steps (up to 1,591 TPS) in one request


class StepAnswerSchema(Strict):
    step = f.String(allow_none=True)
    status = f.String(metadata={"description": "applied, already_applied or conflict"})
    position = f.Integer()
    code = f.String(metadata={"description": "a conflict's stable code (conflict, forbidden...)"})
    reason = f.String()
    errors = f.List(f.Dict())
    read_in_plenary = f.Dict()


class SyncOutSchema(Strict):
    node = f.String(required=True)
    election = f.String(required=True)
    region = f.String(required=True)
    counts = f.Dict(keys=f.String(), values=f.Integer(), required=True)
    position = f.Integer(required=True, metadata={"description": "for ?wait_for= on reads"})
    steps = f.List(f.Nested(StepAnswerSchema), required=True)


class ExportArgs(Strict):
    election = f.String(required=True, validate=ID)
    region = Code(required=True, metadata={"description": "the kecamatan"})
    after = f.Integer(load_default=0, metadata={"description": "events after this position"})


@blp.route("/sync", methods=["POST"])
@body_limit(SYNC_BODY)
@requires(Role.PPK)
@blp.arguments(PushSchema)
@blp.response(200, SyncOutSchema, description="one answer per step, in order")
@problems(blp, 400, 404, 413, 415, 422, auth=True)
def sync(command: Any) -> Any:
    """What a kecamatan node did offline (`rekap node push`), pushed with the token of the
    kecamatan's official (its PPK; X-OTP where the token has one). Each step is replayed here
    through the use case of its API route, as the person who did it on the node, with every
    rule and access check, and answered `applied`, `already_applied` (its id is in the log) or
    `conflict` with the reason; a step is applied whole or not at all. Events keep the step's
    origin (node, step id, original time, who pushed) in their actor."""
    ctx = SyncContext(
        plenary=services().plenary,
        results=services().results,
        keep_evidence=lambda data: services().evidence.put(data).sha256,
    )
    return push(ctx, current_actor(), command)


class ReconciliationSchema(Strict):
    election = f.String(required=True)
    contest = f.String(required=True)
    code = f.String(required=True)
    name = f.String(allow_none=True)
    tier = f.String(required=True)
    tps_total = f.Integer(required=True)
    uploaded = f.Integer(required=True, metadata={"description": "first result by upload"})
    read_in_plenary = f.Integer(
        required=True, metadata={"description": "first result read from the C.Hasil in plenary"}
    )
    from_node = f.Integer(
        required=True, metadata={"description": "TPS with a result version from a node"}
    )
    missing = f.Integer(required=True, metadata={"description": "TPS without a result"})
    open_conflicts = f.Integer(required=True)
    with_work = f.List(
        f.String(),
        required=True,
        metadata={
            "description": "kecamatan with work left: a TPS without result, a plenary not "
            "certified, or a conflict open"
        },
    )
    kecamatan = f.List(f.Dict(), required=True)
    conflicts = f.List(
        f.Dict(),
        required=True,
        metadata={"description": "steps pushed by nodes that central could not apply, still open"},
    )
    position = f.Integer(required=True)


@blp.route("/elections/<eid>/contests/<cid>/reconciliation/<code>", methods=["GET"])
@public
@blp.arguments(WaitForArgs, location="query", as_kwargs=True)
@blp.response(200, ReconciliationSchema)
@problems(blp, 400, 404, 503)
def reconciliation_of(eid: str, cid: str, code: str, wait_for: int | None = None) -> Any:
    """How the results of a region's kecamatan arrived: by upload, read in plenary, from an
    offline node; the TPS still missing; the conflicts of node pushes still open (a conflict is
    settled when its step is applied after all, or its kecamatan's plenary certifies here after
    it); and which kecamatan still have work."""
    await_position(wait_for)
    contest = services().queries.contest(eid, cid)
    return public_read(reconciliation(services().db, contest, normalise(code)))


@blp.route("/sync/export", methods=["GET"])
@public
@blp.arguments(ExportArgs, location="query", as_kwargs=True)
@blp.response(200, description="the bundle of `rekap node export`, as JSON")
@problems(blp, 400, 404, 422)
def bundle(election: str, region: str, after: int = 0) -> Any:
    """A kecamatan's bundle (`rekap node pull`): the election, its contests, the kecamatan's
    regions and TPS, and every stored event of its results and plenaries (after `after`)."""
    return public_read(export(services().db, election, region, after), max_age=0)
