"""The results of one TPS (C.Hasil): submit, correct, read, its history, and bulk import."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, url_for

from api.auth import current_actor, public, requires
from api.blueprints.audit import AsOfArgs, PageArgs, TpsHistorySchema, as_of_read
from api.http import (
    IF_MATCH,
    Blueprint,
    await_position,
    body_limit,
    if_match_version,
    problems,
    public_read,
    services,
)
from api.problems import problem_body, status_of
from api.schemas import BulkOutSchema, ResultOutcomeSchema, TpsResultSchema
from domain.access import Role
from domain.codes import tps_code
from domain.commands import CorrectResult, SubmitResult
from service.audit.history import tps_history
from service.input.results import BulkRequestSchema, CorrectionSchema, SubmissionSchema, bulk_items
from service.usecases.bulk import BulkItem, submit_bulk
from service.usecases.results import ResultOutcome, correct, submit

blp = Blueprint("results", __name__, url_prefix="/api/v1", description="TPS results (C.Hasil)")

TPS_PATH = "/elections/<eid>/contests/<cid>/tps/<tps>"
RESULT_WRITERS = (Role.KPPS, Role.OPERATOR)
BULK_BODY = 64 * 1024 * 1024  # a whole kab/kota of forms per request


@blp.route(f"{TPS_PATH}/submissions", methods=["POST"])
@requires(*RESULT_WRITERS)
@blp.arguments(SubmissionSchema)
@blp.response(201, ResultOutcomeSchema, description="stored; anomalies listed")
@blp.alt_response(200, schema=ResultOutcomeSchema, description="this submission_id again")
@problems(blp, 400, 404, 409, 413, 415, 422, auth=True)
def submit_result(fields: dict[str, Any], eid: str, cid: str, tps: str) -> Any:
    """Submit a TPS's C.Hasil. A retry with the same submission_id answers the stored result."""
    command = SubmitResult(tps=tps_code(tps), **fields)
    return _answer(submit(services().results, current_actor(), eid, cid, command))


@blp.route(f"{TPS_PATH}/corrections", methods=["POST"])
@requires(*RESULT_WRITERS)
@blp.arguments(CorrectionSchema)
@blp.response(201, ResultOutcomeSchema, description="the new version")
@blp.alt_response(200, schema=ResultOutcomeSchema, description="this request_id again")
@blp.doc(parameters=[IF_MATCH])
@problems(blp, 400, 404, 409, 412, 413, 415, 422, 428, auth=True)
def correct_result(fields: dict[str, Any], eid: str, cid: str, tps: str) -> Any:
    """Correct a TPS's result (before its kecamatan plenary opens), naming the version corrected."""
    command = CorrectResult(tps=tps_code(tps), expected_version=if_match_version(), **fields)
    return _answer(correct(services().results, current_actor(), eid, cid, command))


@blp.route(TPS_PATH, methods=["GET"])
@public
@blp.arguments(AsOfArgs, location="query", as_kwargs=True)
@blp.response(200, TpsResultSchema)
@blp.alt_response(304, response="NOT_MODIFIED")
@problems(blp, 400, 404, 422, 503)
def tps_result(
    eid: str, cid: str, tps: str, wait_for: int | None = None, as_of: str | None = None
) -> Any:
    """The current result of a TPS with every version; its ETag is the version."""
    if as_of is not None:
        return as_of_read("tps", eid, cid, tps, as_of)
    await_position(wait_for)
    document = services().queries.tps_result(eid, cid, tps_code(tps))
    return public_read(document, etag=str(document["version"]))


@blp.route(f"{TPS_PATH}/history", methods=["GET"])
@public
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, TpsHistorySchema)
@blp.alt_response(304, response="NOT_MODIFIED")
@problems(blp, 400, 404, 422)
def history(eid: str, cid: str, tps: str, after: int = 0, limit: int = 100) -> Any:
    """Every event of the TPS's result, oldest first, read from the log itself (paginated),
    each with its leaf hash: a witness holding the C.Hasil can ask for its inclusion proof."""
    return public_read(tps_history(services(), eid, cid, tps, after, limit))


@blp.route("/elections/<eid>/contests/<cid>/submissions:bulk", methods=["POST"])
@body_limit(BULK_BODY)
@requires(Role.OPERATOR)
@blp.arguments(BulkRequestSchema(many=True))
@blp.response(200, BulkOutSchema, description="one answer per item, in order")
@problems(blp, 400, 404, 413, 415, 422, auth=True)
def bulk(items: list[dict[str, Any]], eid: str, cid: str) -> Any:
    """Many first submissions (an operator's import): each item all-or-nothing, answered alone."""
    services().ref.contest(eid, cid)  # an unknown election or contest fails the whole request
    commands = bulk_items(items, refused=getattr(items, "faults", None))
    answers = submit_bulk(services().results, current_actor(), eid, cid, commands)
    counts: dict[str, int] = {}
    for answer in answers:
        counts[str(_status(answer))] = counts.get(str(_status(answer)), 0) + 1
    positions = [a.outcome.position for a in answers if a.outcome is not None]
    return {
        "counts": counts,
        "position": max(positions, default=services().runner.head()),
        "items": [_bulk_item(a, items[a.index]) for a in answers],
    }


def _status(answer: BulkItem) -> int:
    if answer.error is not None:
        return status_of(answer.error)
    return 201 if answer.outcome is not None and answer.outcome.created else 200


def _bulk_item(answer: BulkItem, item: Any) -> dict[str, Any]:
    tps = item.get("tps") if isinstance(item, dict) else None
    status = _status(answer)
    document: dict[str, Any] = {"index": answer.index, "tps": tps, "status": status}
    if answer.outcome is not None:
        o = answer.outcome
        document.update(
            tps=o.tps,
            version=o.version,
            position=o.position,
            submission_id=o.submission_id,
            anomalies=o.anomalies,
        )
    elif answer.error is not None:
        document["problem"] = problem_body(status, answer.error)
    return document


def _answer(outcome: ResultOutcome) -> Response:
    """The outcome as ResultOutcomeSchema documents it. Its dict has exactly the schema's fields,
    so it is answered as built rather than dumped through marshmallow again, field by field."""
    response = jsonify(outcome.to_dict())
    response.status_code = 201 if outcome.created else 200
    response.headers.update(_headers(outcome))
    return response


def _headers(outcome: ResultOutcome) -> dict[str, str]:
    return {
        "ETag": f'"{outcome.version}"',
        "Location": url_for(
            "results.tps_result",
            eid=outcome.election_id,
            cid=outcome.contest_id,
            tps=outcome.tps,
        ),
    }
