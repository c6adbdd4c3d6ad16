"""Small HTTP helpers every blueprint uses: JSON bodies, documented problems, If-Match, caching
headers for public reads, and read-your-writes (`?wait_for=`).

The pattern of a view (see blueprints/results.py):

    @blp.route("/things/<tid>", methods=["POST"])
    @requires(Role.ADMIN)                      # 401/403 before the body is read
    @blp.arguments(ThingSchema)                # 400 malformed JSON, 415 not JSON, 422 schema
    @blp.response(201, ThingOutSchema)
    @problems(blp, 404, 409)                   # documents these (plus auth and body problems)
    def create_thing(body, tid):
        return do_it(services().app, current_actor(), tid, body).to_dict(), 201
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar

import flask_smorest
import marshmallow as ma
from flask import Response, current_app, request
from flask_smorest import abort
from webargs import core
from webargs.flaskparser import FlaskParser

from api.auth import WRITE_SECURITY
from domain.errors import ErrorList, InvalidInput
from service.bootstrap import Services
from service.input.strict_json import MalformedJson, parse_items, text_fault

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC_MAX_AGE = 5  # seconds a shared cache may serve a public read without asking again
WAIT_TIMEOUT = 5.0  # the longest a read waits for its ?wait_for= position
BODY_PROBLEMS = (400, 413, 415, 422)
AUTH_PROBLEMS = (401, 403, 429)  # 429: too many second-factor codes tried


def services() -> Services:
    return current_app.extensions["rekap"]


class JsonParser(FlaskParser):
    """webargs, but a body that is not JSON is 415, not silently ignored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._schemas: dict[type[ma.Schema], ma.Schema] = {}

    def _get_schema(self, argmap: Any, req: Any) -> ma.Schema:
        # webargs builds a schema class anew twice a request; a schema holds no request state.
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            schema = self._schemas.get(argmap)
            if schema is None:
                schema = self._schemas.setdefault(argmap, argmap())
            return schema
        return super()._get_schema(argmap, req)

    def _raw_load_json(self, req: Any) -> Any:
        if req.mimetype and not core.is_json(req.mimetype) and req.content_length != 0:
            abort(415, message="send the body as application/json")
        data = req.get_data(cache=True)
        if not data:
            if req.method in ("POST", "PUT", "PATCH"):
                abort(400, message="the request needs a JSON body")
            return core.missing
        try:
            return parse_items(data)
        except MalformedJson as exc:
            abort(400, message=str(exc))


BODY_LIMIT = "rekap_body_limit"


def body_limit(nbytes: int) -> Callable[[F], F]:
    """This route takes a body larger than one document (a bulk import, a file): up to `nbytes`.

    Every other route takes what one document needs (the app's MAX_CONTENT_LENGTH), so a client
    cannot make a worker read megabytes to refuse them.
    """

    def decorate(view: F) -> F:
        setattr(view, BODY_LIMIT, nbytes)
        return view

    return decorate


def apply_body_limit() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, BODY_LIMIT, None)
    if limit is not None:
        request.max_content_length = limit


def refuse_what_is_not_text() -> None:
    """Path and query parameters are text that reaches the store too: the same rule as bodies."""
    errors = ErrorList()
    for name, value in (request.view_args or {}).items():
        fault = text_fault(value) if isinstance(value, str) else None
        if fault:
            errors.add(name, fault)
    for name, value in request.args.items(multi=True):
        fault = text_fault(name) or text_fault(value)
        if fault:
            errors.add(name.encode("unicode_escape").decode("ascii"), fault)
    if errors:
        raise InvalidInput("the request holds what cannot be stored", errors.errors)


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose JSON bodies are parsed by `JsonParser`."""

    ARGUMENTS_PARSER = JsonParser()


def problems(blp: flask_smorest.Blueprint, *statuses: int, auth: bool = False) -> Callable[[F], F]:
    """Document the problem+json answers of an operation (`auth`: it needs a bearer token)."""
    codes = sorted(set(statuses) | (set(AUTH_PROBLEMS) if auth else set()))

    def decorate(view: F) -> F:
        documented: Any = view
        for status in codes:
            documented = blp.alt_response(status, response=HTTPStatus(status).name)(documented)
        if auth:
            documented = blp.doc(security=WRITE_SECURITY)(documented)
        # Keep only their documentation: each of those decorators also wraps the view in a layer
        # that merely calls through, a dozen calls per request for nothing.
        view._apidoc = documented._apidoc  # type: ignore[attr-defined]
        return view

    return decorate


IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "schema": {"type": "string"},
    "description": 'the version being corrected, as its ETag: "2"',
}


def if_match_version() -> int:
    """The version named by If-Match: 428 when there is none, 400 when it cannot be a version."""
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        abort(428, message='this change needs If-Match: "<version>" (the ETag of the result)')
    tag = header.strip().removeprefix("W/")
    version = tag[1:-1] if len(tag) > 2 and tag[0] == tag[-1] == '"' else tag
    if not (version.isascii() and version.isdigit() and 0 < len(version) <= 9):
        abort(400, message=f'If-Match must name a version as its ETag does, e.g. "2", not {tag}')
    return int(version)


def await_position(position: int | None, timeout: float | None = None) -> None:
    """Read-your-writes: wait (bounded) until the read models this read is answered from
    include `position`: a replica's, as the replica has replayed them, or the primary's.

    A position beyond the log cannot be waited for (400); read models that do not get there in
    time answer 503 `projection_lagging` with Retry-After, and the client asks again.
    """
    if position is None:
        return
    s = services()
    if position > s.runner.head():
        abort(400, message=f"wait_for={position} is beyond the end of the log")
    limit = (
        current_app.config.get("REKAP_WAIT_TIMEOUT", WAIT_TIMEOUT) if timeout is None else timeout
    )
    if not s.reads.wait_for(position, timeout=limit):
        raise ProjectionLagging(position)


class ProjectionLagging(Exception):
    def __init__(self, position: int) -> None:
        super().__init__(f"the read model has not reached log position {position} yet; retry")
        self.position = position


def public_read(
    document: dict[str, Any], *, etag: str | None = None, max_age: int = PUBLIC_MAX_AGE
) -> Any:
    """A public document with ETag and Cache-Control; 304 when If-None-Match has it already.

    `etag` defaults to a digest of the document without its `position` (which moves with every
    event anywhere): a cache revalidates cheaply while the figures stay the same.
    """
    tag = etag or content_tag(document)
    headers = {
        "ETag": f'"{tag}"',
        "Cache-Control": f"public, max-age={max_age}",
        "Vary": "Accept-Encoding",
    }
    if request.if_none_match.contains_weak(tag):  # weak comparison, as RFC 9110 asks
        return Response(status=304, headers=headers)
    return document, 200, headers


def content_tag(document: dict[str, Any]) -> str:
    stable = {k: v for k, v in document.items() if k != "position"}
    encoded = json.dumps(stable, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()[:32]
