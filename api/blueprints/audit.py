"""The audit log (public): events, signed tree heads, proofs, histories, and reads as of then."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from flask import Response, request, stream_with_context
from marshmallow import fields as f
from marshmallow import validate as v

from api.auth import public
from api.http import Blueprint, await_position, problems, public_read, services
from api.schemas import Strict, WaitForArgs
from domain.codes import normalise
from service.audit.events import MAX_PAGE, events_page, iter_events
from service.audit.history import plenary_history, region_history
from service.audit.log import AuditLog

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api/v1",
    description="The tamper-evident log: every event, signed tree heads and RFC 9162 proofs",
)

NDJSON = "application/x-ndjson"
F = TypeVar("F", bound=Callable[..., Any])
HASH = {"description": "SHA-256, 64 lowercase hex characters"}


# -- schemas -----------------------------------------------------------------------------------


class AsOfArgs(WaitForArgs):
    as_of = f.String(
        validate=v.Length(1, 64),
        metadata={
            "description": "answer the document as it stood at this log position or ISO 8601 "
            "time, replayed from the log",
            "example": "2024-11-27T18:00:00+07:00",
        },
    )


class EventsArgs(Strict):
    after = f.Integer(load_default=0, validate=v.Range(0, 2**62))
    limit = f.Integer(
        validate=v.Range(1, MAX_PAGE),
        metadata={"description": "page size (JSON: default 100; NDJSON: default everything)"},
    )


class PageArgs(Strict):
    after = f.Integer(
        load_default=0,
        validate=v.Range(0, 2**62),
        metadata={"description": "events after this log position (the previous next_after)"},
    )
    limit = f.Integer(load_default=100, validate=v.Range(1, MAX_PAGE))


class LeafRecordSchema(Strict):
    originator_id = f.String(required=True)
    originator_version = f.Integer(required=True)
    position = f.Integer(required=True)
    state = f.String(required=True, metadata={"description": "base64 of the stored bytes"})
    topic = f.String(required=True)


class AuditEventSchema(Strict):
    position = f.Integer(required=True)
    leaf_index = f.Integer(allow_none=True, metadata={"description": "null until hashed"})
    aggregate = f.String(required=True)
    version = f.Integer(required=True)
    type = f.String(required=True, metadata={"example": "TpsResult.Submitted"})
    time = f.String(required=True)
    actor = f.Dict(allow_none=True)
    payload = f.Dict(required=True)
    leaf_hash = f.String(required=True, metadata=HASH)
    record = f.Nested(LeafRecordSchema, required=True)


class AuditEventsSchema(Strict):
    events = f.List(f.Nested(AuditEventSchema), required=True)
    next_after = f.Integer(allow_none=True, required=True)


class ContestEventsSchema(AuditEventsSchema):
    election = f.String(required=True)
    contest = f.String(required=True)


class RegionHistorySchema(ContestEventsSchema):
    code = f.String(required=True)


class TpsHistorySchema(ContestEventsSchema):
    tps = f.String(required=True)


class TreeHeadSchema(Strict):
    size = f.Integer(required=True)
    root = f.String(required=True, metadata=HASH)
    timestamp = f.String(required=True, metadata={"example": "2024-11-27T18:00:00Z"})
    signature = f.String(required=True, metadata={"description": "base64 Ed25519 signature"})
    key_id = f.String(required=True)
    origin = f.String(
        metadata={
            "description": "the log's origin: the signature is over the checkpoint text "
            "(absent on heads signed before checkpoints, over rekap-tree-head-v1)"
        }
    )


class PublicKeySchema(Strict):
    key_id = f.String(required=True)
    algorithm = f.String(required=True)
    public_key = f.String(required=True, metadata={"description": "base64 of the raw 32 bytes"})
    pem = f.String(required=True)
    origin = f.String(required=True, metadata={"description": "the checkpoints' origin line"})
    vkey = f.String(
        required=True,
        metadata={"description": "the note verifier key of the checkpoints (c2sp signed-note)"},
    )


class InclusionArgs(Strict):
    position = f.Integer(required=True, validate=v.Range(0, 2**62))
    size = f.Integer(validate=v.Range(1, 2**62), metadata={"description": "default: latest head"})


class ConsistencyArgs(Strict):
    first = f.Integer(required=True, validate=v.Range(1, 2**62))
    second = f.Integer(validate=v.Range(1, 2**62), metadata={"description": "default: latest"})


class InclusionSchema(Strict):
    leaf_hash = f.String(required=True, metadata=HASH)
    index = f.Integer(required=True)
    size = f.Integer(required=True)
    proof = f.List(f.String(metadata=HASH), required=True)


class InclusionProofSchema(Strict):
    position = f.Integer(required=True)
    record = f.Nested(LeafRecordSchema, allow_none=True)
    root = f.String(required=True, metadata=HASH)
    tree_head = f.Nested(TreeHeadSchema, allow_none=True)
    public_key = f.String(required=True)
    inclusion = f.Nested(InclusionSchema, required=True)


class ConsistencySchema(Strict):
    first = f.Integer(required=True)
    second = f.Integer(required=True)
    first_root = f.String(required=True, metadata=HASH)
    second_root = f.String(required=True, metadata=HASH)
    proof = f.List(f.String(metadata=HASH), required=True)


class ConsistencyProofSchema(Strict):
    tree_head = f.Nested(TreeHeadSchema, allow_none=True)
    first_tree_head = f.Nested(TreeHeadSchema, allow_none=True)
    public_key = f.String(required=True)
    consistency = f.Nested(ConsistencySchema, required=True)


# -- the log -----------------------------------------------------------------------------------


def _wants_ndjson() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", NDJSON])
    return best == NDJSON and request.accept_mimetypes[NDJSON] > 0


@blp.route("/audit/events")
@public
@blp.arguments(EventsArgs, location="query", as_kwargs=True)
@blp.response(200, AuditEventsSchema)
@blp.alt_response(200, content_type=NDJSON, description="one event per line")
@problems(blp, 400, 422)
def events(after: int = 0, limit: int | None = None) -> Any:
    """The log in order, each event with its leaf record and leaf hash.

    With `Accept: application/x-ndjson` the events are streamed one per line (to the end of the
    log unless `limit` is given); otherwise a page of `limit` (default 100) as JSON.
    """
    s = services()
    if _wants_ndjson():
        head = s.runner.head()

        def lines() -> Iterator[str]:
            for count, event in enumerate(iter_events(s.app, s.db, after, head), start=1):
                yield json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n"
                if limit is not None and count >= limit:
                    return

        return Response(stream_with_context(lines()), mimetype=NDJSON)
    page = events_page(s.app, s.reads, after, limit or 100)
    size = limit or 100
    return {"events": page, "next_after": page[-1]["position"] if len(page) == size else None}


@blp.route("/audit/tree-head")
@public
@blp.response(200, TreeHeadSchema)
@problems(blp, 404)
def tree_head() -> Any:
    """The latest signed tree head (RFC 9162 style: size, root, time, Ed25519 signature)."""
    return AuditLog.of(services()).latest().to_dict()


@blp.route("/audit/tree-heads")
@public
@blp.response(200, TreeHeadSchema(many=True))
def tree_heads() -> Any:
    """Every tree head published so far, oldest first (auditors keep them)."""
    return [h.to_dict() for h in AuditLog.of(services()).heads()]


@blp.route("/audit/public-key")
@public
@blp.response(200, PublicKeySchema)
def public_key() -> Any:
    """The Ed25519 key tree heads are signed with (obtain it out of band to trust it)."""
    return AuditLog.of(services()).public_key()


@blp.route("/audit/proofs/inclusion")
@public
@blp.arguments(InclusionArgs, location="query", as_kwargs=True)
@blp.response(200, InclusionProofSchema)
@problems(blp, 400, 404, 422)
def inclusion(position: int, size: int | None = None) -> Any:
    """The audit path of the event at `position` to the tree of `size` leaves (a signed head's).

    The answer is a document `rekap audit check-proof` verifies offline; `record` holds the
    event's stored bytes, so a witness can check the figures it carries.
    """
    return AuditLog.of(services()).inclusion(position, size)


@blp.route("/audit/proofs/consistency")
@public
@blp.arguments(ConsistencyArgs, location="query", as_kwargs=True)
@blp.response(200, ConsistencyProofSchema)
@problems(blp, 400, 422)
def consistency(first: int, second: int | None = None) -> Any:
    """Proof that the tree of `second` leaves is an append-only extension of `first` leaves."""
    return AuditLog.of(services()).consistency(first, second)


# -- histories ---------------------------------------------------------------------------------


def _history(path: str) -> Callable[[F], F]:
    """A public page (`?after=`, `?limit=`) of the events under a contest's `path`."""

    def decorate(view: F) -> F:
        documented: Any = problems(blp, 400, 404, 422)(view)
        documented = blp.response(200, RegionHistorySchema)(documented)
        documented = blp.arguments(PageArgs, location="query", as_kwargs=True)(documented)
        return blp.route(f"/elections/<eid>/contests/<cid>/{path}/history")(public(documented))

    return decorate


@_history("regions/<code>")
def region_events(eid: str, cid: str, code: str, after: int = 0, limit: int = 100) -> Any:
    """Every event that shaped a region's recap (its TPS results, its plenaries), oldest first."""
    return region_history(services(), eid, cid, code, after, limit)


@_history("plenaries/<code>")
def plenary_events(eid: str, cid: str, code: str, after: int = 0, limit: int = 100) -> Any:
    """Every event of one plenary, in log order, from the log itself."""
    return plenary_history(services(), eid, cid, code, after, limit)


# -- reads as of a moment (`?as_of=` on the recap, TPS and plenary GETs) ------------------------


def as_of_read(kind: str, eid: str, cid: str, code: str, as_of: str) -> Any:
    """The `kind` ("region", "tps" or "plenary") document as it stood at `as_of`, by replay."""
    from service.audit.asof import plenary_as_of, region_as_of, resolve_as_of, tps_as_of

    s = services()
    position = resolve_as_of(s, as_of)
    await_position(position)  # a replica replays up to that moment before it answers for it
    answer = {"region": region_as_of, "tps": tps_as_of, "plenary": plenary_as_of}[kind]
    document = answer(s, eid, cid, normalise(code), position)
    # a moment of the past never changes: caches may keep it
    return public_read(document, max_age=86400)
