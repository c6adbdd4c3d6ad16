"""Errors as `application/problem+json` (RFC 9457), with a stable code and field-level errors."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import marshmallow as ma
import psycopg
import psycopg_pool
from eventsourcing.persistence import InterfaceError, OperationalError
from flask import Response, g, json
from werkzeug.exceptions import HTTPException

from domain.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    StaleVersion,
)
from service.input import field_errors
from service.store.reads import ReadElsewhere

log = logging.getLogger("rekap.api")

PROBLEM_TYPE = "https://rekap.id/problems/"
MEDIA_TYPE = "application/problem+json"

DOMAIN_STATUS: list[tuple[type[DomainError], int]] = [
    (Forbidden, 403),
    (NotFound, 404),
    (StaleVersion, 412),
    (Conflict, 409),
    (InvalidInput, 422),
]
# Failures of the store that a retry can cure: 503 with Retry-After, never a 500.
STORE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg_pool.PoolTimeout,
    sqlite3.OperationalError,
    ReadElsewhere,  # a replica failed under a read that could not be served again
)
HTTP_CODES = {
    400: "malformed_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    428: "precondition_required",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


class FieldErrorSchema(ma.Schema):
    field = ma.fields.String(required=True, metadata={"example": "form.votes.2"})
    message = ma.fields.String(required=True)


class ProblemSchema(ma.Schema):
    """The body of every error (RFC 9457; documentation only). More members may follow."""

    class Meta:
        unknown = ma.INCLUDE

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(required=True)
    code = ma.fields.String(required=True, metadata={"description": "stable, for programs"})
    errors = ma.fields.List(ma.fields.Nested(FieldErrorSchema))
    request_id = ma.fields.String()


def problem_body(status: int, error: DomainError) -> dict[str, Any]:
    """The problem document of a domain error, e.g. for one item of a bulk answer."""
    code = error.code if type(error) is not DomainError else "rule_violation"
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code,
        "title": _title(status),
        "status": status,
        "detail": error.message,
        "code": code,
        **error.details,
    }
    if error.errors:
        body["errors"] = [e.to_dict() for e in error.errors]
    return body


def problem(
    status: int,
    detail: str,
    code: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    code = code or HTTP_CODES.get(status, "error")
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code,
        "title": _title(status),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    if errors:
        body["errors"] = [e.to_dict() for e in errors]
    request_id = getattr(g, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def status_of(error: DomainError) -> int:
    """The HTTP status of a rule of the process broken (the one place that maps them)."""
    return next((s for cls, s in DOMAIN_STATUS if isinstance(error, cls)), 422)


def from_domain(error: DomainError) -> Response:
    status = status_of(error)
    code = error.code if type(error) is not DomainError else "rule_violation"
    return problem(status, error.message, code, error.errors, **error.details)


def from_http(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = field_errors(data.get("messages") or data.get("errors") or {})
    if status == 422 and errors:
        return problem(422, "the request does not match its schema", "invalid_input", errors)
    if status == 400 and errors:
        return problem(400, "the request is malformed", "malformed_request", errors)
    detail = data.get("message") or error.description or _title(status)
    headers = dict(data.get("headers") or {})
    if status == 405:
        headers.update({k: v for k, v in error.get_headers() if k == "Allow"})
    return problem(status, str(detail), headers=headers)


def store_unavailable(error: Exception) -> Response:
    """The store did not answer in time (a lock, a full pool, a restart): retry, not a 500."""
    log.warning("store unavailable: %s: %s", error.__class__.__name__, error)
    return problem(
        503,
        "the store is busy or unreachable; retry shortly",
        "store_unavailable",
        headers={"Retry-After": "2"},
    )


def from_unexpected(error: Exception) -> Response:
    log.exception("unexpected error", exc_info=error)
    return problem(500, "an unexpected error occurred; it has been logged", "internal_error")


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
