"""The recap plenaries: open, object, resolve, recommend, correct, accept an anomaly, certify,
reopen, record a re-vote; read the plenary, its minutes and its certificate (D.Hasil)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v

from api.auth import current_actor, public, requires
from api.blueprints.audit import AsOfArgs, as_of_read
from api.http import Blueprint, await_position, problems, public_read, services
from api.printable import printable_or_json
from api.schemas import Strict, WaitForArgs
from domain.access import Role
from domain.codes import normalise, tps_code
from domain.plenary import plenary_tier
from service.input import plenary as given
from service.input.plenary import (
    AcceptanceSchema,
    AnswerSchema,
    CertificationSchema,
    CorrectionBodySchema,
    ObjectionSchema,
    RecommendationSchema,
    ReopenSchema,
    ResolutionSchema,
    ResultReadSchema,
    RevoteSchema,
)
from service.read.certificate import certificate_document
from service.usecases import plenary as use

blp = Blueprint(
    "plenary",
    __name__,
    url_prefix="/api/v1",
    description="The staged recap plenaries (kecamatan, kab/kota, provinsi, nasional)",
)

PLENARY = "/elections/<eid>/contests/<cid>/plenaries/<code>"
OFFICIALS = (Role.PPK, Role.KPU_KABKOTA, Role.KPU_PROVINSI, Role.KPU_RI)

F = TypeVar("F", bound=Callable[..., Any])


# -- schemas of the answers (the request loaders are in service/input/plenary.py) -------------


class PlenaryOutcomeSchema(Strict):
    election = f.String(required=True)
    contest = f.String(required=True)
    plenary = f.String(required=True)
    tier = f.String(required=True)
    status = f.String(required=True)
    version = f.Integer(required=True)
    position = f.Integer(required=True, metadata={"description": "for ?wait_for= on reads"})
    objection_id = f.String()
    recommendation_id = f.String()
    tps = f.String()
    tps_version = f.Integer()
    rules = f.List(f.String())
    certificate = f.Integer()
    verdict = f.Dict()
    reopened = f.List(f.String())
    order = f.Dict()


class PlenarySchema(ma.Schema):
    election = f.String()
    contest = f.String()
    code = f.String()
    name = f.String(allow_none=True)
    tier = f.String()
    status = f.String(validate=v.OneOf(["not_open", "open", "certified", "reopened"]))
    version = f.Integer()
    opened_at = f.String()
    updated_at = f.String()
    minutes = f.List(f.Dict(), metadata={"description": "every event of the plenary, in order"})
    open_objections = f.List(f.Dict())
    objections = f.List(f.Dict())
    recommendations = f.List(f.Dict())
    certificate = f.Dict(allow_none=True)
    certificates = f.List(f.Dict())
    position = f.Integer()


class PlenaryListSchema(ma.Schema):
    plenaries = f.List(f.Dict())


class CertificateArgs(WaitForArgs):
    number = f.Integer(metadata={"description": "an earlier (superseded) certificate"})
    format = f.String(validate=v.OneOf(["json", "html"]))


# -- writes -----------------------------------------------------------------------------------


def _write(path: str, *roles: Role, body: type[ma.Schema] | None = None) -> Callable[[F], F]:
    """A command on the plenary at `path`, by one of `roles`, with its `body` (a JSON body's
    problems then too): 201 with the outcome, 404 for no such plenary, 409 for a rule."""
    statuses = (404, 409) if body is None else (400, 404, 409, 415, 422)

    def decorate(view: F) -> F:
        documented: Any = problems(blp, *statuses, auth=True)(view)
        documented = blp.response(201, PlenaryOutcomeSchema)(documented)
        if body is not None:
            documented = blp.arguments(body)(documented)
        return blp.route(f"{PLENARY}{path}", methods=["POST"])(requires(*roles)(documented))

    return decorate


def _written(outcome: use.PlenaryOutcome) -> Any:
    return outcome.to_dict(), 201


@_write("/open", *OFFICIALS)
def open_plenary(eid: str, cid: str, code: str) -> Any:
    """Open the plenary (its official only). A kecamatan's TPS are then corrected only here."""
    return _written(use.open_plenary(_ctx(), current_actor(), eid, cid, code))


@_write("/objections", Role.SAKSI, Role.BAWASLU, body=ObjectionSchema)
def raise_objection(body: dict[str, Any], eid: str, cid: str, code: str) -> Any:
    """Object (a witness within its mandate, or a supervisor): a procedure, a TPS, a child."""
    return _written(use.raise_objection(_ctx(), current_actor(), eid, cid, code, body))


@_write("/objections/<oid>/resolution", *OFFICIALS, body=ResolutionSchema)
def resolve_objection(body: dict[str, Any], eid: str, cid: str, code: str, oid: str) -> Any:
    """Resolve an objection raised here or carried up from below: accepted (with its
    correction) or not accepted (carried up to the next tier)."""
    return _written(
        use.resolve_objection(_ctx(), current_actor(), eid, cid, code, given.resolution(oid, body))
    )


@_write("/recommendations", Role.BAWASLU, body=RecommendationSchema)
def record_recommendation(body: dict[str, Any], eid: str, cid: str, code: str) -> Any:
    """Record a supervisor's recommendation; the plenary must answer it before it certifies."""
    return _written(use.record_recommendation(_ctx(), current_actor(), eid, cid, code, body))


@_write("/recommendations/<rid>/answer", *OFFICIALS, body=AnswerSchema)
def answer_recommendation(body: dict[str, Any], eid: str, cid: str, code: str, rid: str) -> Any:
    """Answer a supervisor's recommendation: followed or not, and why."""
    return _written(
        use.answer_recommendation(_ctx(), current_actor(), eid, cid, code, given.answer(rid, body))
    )


@_write("/corrections", *OFFICIALS, body=CorrectionBodySchema)
def correct(body: dict[str, Any], eid: str, cid: str, code: str) -> Any:
    """Correct a TPS's figures in this plenary's minutes. Only while the plenary is open and
    every plenary between it and the TPS has certified; a locked tier answers 409."""
    return _written(use.correct(_ctx(), current_actor(), eid, cid, code, body))


@_write("/results", Role.PPK, body=ResultReadSchema)
def read_result(body: dict[str, Any], eid: str, cid: str, code: str) -> Any:
    """Record the first result of a TPS whose upload never came, read from its sealed C.Hasil
    in this open kecamatan plenary (with a reason and the evidence): an event of the TPS (its
    source is `plenary`) and of the plenary (its minutes), saved together. 409 if the TPS has a
    result already (that is a correction). A later upload of its KPPS is then 409
    `read_in_plenary`, with the plenary's figures. Needs X-OTP where the token has one."""
    return _written(use.read_result(_ctx(), current_actor(), eid, cid, code, body))


@_write("/anomalies/<tps>/acceptance", *OFFICIALS, body=AcceptanceSchema)
def accept_anomaly(body: dict[str, Any], eid: str, cid: str, code: str, tps: str) -> Any:
    """Accept the hard anomaly of a TPS's current reading, with a written reason."""
    return _written(
        use.accept_anomaly(
            _ctx(), current_actor(), eid, cid, code, given.acceptance(tps_code(tps), body)
        )
    )


@_write("/certification", *OFFICIALS, body=CertificationSchema)
def certify(body: dict[str, Any], eid: str, cid: str, code: str) -> Any:
    """Certify (D.Hasil). 409 lists every reason that blocks it in `errors`; refusals to sign
    are recorded and never block."""
    return _written(use.certify(_ctx(), current_actor(), eid, cid, code, body))


@_write("/reopen", *OFFICIALS, Role.COURT, body=ReopenSchema)
def reopen(body: dict[str, Any], eid: str, cid: str, code: str) -> Any:
    """Reopen a certified plenary and every certified plenary above it (their certificates are
    superseded): its tier's authority or one above it, or a court order with its reference."""
    return _written(use.reopen(_ctx(), current_actor(), eid, cid, code, body))


@_write("/revotes", *OFFICIALS, body=RevoteSchema)
def record_revote(body: dict[str, Any], eid: str, cid: str, code: str) -> Any:
    """The result of a court-ordered re-vote (PSU) at a TPS replaces its result (the old one
    stays in its history). Needs a reopening by a court order of kind re_vote naming the TPS."""
    return _written(use.record_revote(_ctx(), current_actor(), eid, cid, code, body))


# -- reads ------------------------------------------------------------------------------------


@blp.route("/elections/<eid>/contests/<cid>/plenaries", methods=["GET"])
@public
@blp.arguments(WaitForArgs, location="query", as_kwargs=True)
@blp.response(200, PlenaryListSchema)
@problems(blp, 400, 404, 503)
def plenaries(eid: str, cid: str, wait_for: int | None = None) -> Any:
    """Every plenary of the contest that has opened, with its state."""
    await_position(wait_for)
    contest = services().queries.contest(eid, cid)
    return public_read({"plenaries": services().queries.plenaries.plenaries(contest)})


@blp.route(PLENARY, methods=["GET"], strict_slashes=False)
@public
@blp.arguments(AsOfArgs, location="query", as_kwargs=True)
@blp.response(200, PlenarySchema)
@problems(blp, 400, 404, 503)
def plenary(
    eid: str, cid: str, code: str, wait_for: int | None = None, as_of: str | None = None
) -> Any:
    """Status (not_open, open, certified, reopened), the minutes (every event), open
    objections (its own and those carried up to it), recommendations and the certificate."""
    await_position(wait_for)
    contest = services().queries.contest(eid, cid)
    region = normalise(code)
    plenary_tier(contest, region)
    if as_of is not None:
        return as_of_read("plenary", eid, cid, region, as_of)
    return public_read(services().queries.plenaries.plenary(contest, region))


@blp.route(f"{PLENARY}/certificate", methods=["GET"])
@public
@blp.arguments(CertificateArgs, location="query", as_kwargs=True)
@blp.response(200, description="the D.Hasil as JSON, or as a printable HTML page")
@problems(blp, 404, 422, 503)
def certificate(
    eid: str,
    cid: str,
    code: str,
    number: int | None = None,
    format: str | None = None,
    wait_for: int | None = None,
) -> Any:
    """The certificate (D.Hasil) of the latest certification, or of `number`: figures per child
    and in total, corrections, objections and their outcome, signatures and refusals.
    `?format=html` (or Accept: text/html) gives the printable page."""
    await_position(wait_for)
    contest = services().queries.contest(eid, cid)
    region = normalise(code)
    plenary_tier(contest, region)
    document = certificate_document(
        contest, services().queries.plenaries.certificate(contest, region, number)
    )
    return printable_or_json(document, format, template="d_hasil.html")


def _ctx() -> use.PlenaryContext:
    return services().plenary
