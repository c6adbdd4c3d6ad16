"""The audit log in the transparency ecosystem's formats (public): checkpoint, tiles, proofs.

The log's prefix in the sense of c2sp.org/tlog-tiles is ``/api/v1/audit``: ``checkpoint`` and
``tile/...`` under it, so any tlog client (a monitor, a witness, Go's sumdb/tlog) reads the log
from here or from a static mirror written by ``rekap audit tiles DIR``.
"""

from __future__ import annotations

import gzip
import re
from typing import Any

from flask import Response, request
from flask_smorest import abort

from api.auth import public
from api.http import Blueprint, await_position, problems, services
from domain.codes import normalise
from domain.errors import NotFound
from service.audit.cosignatures import accept_cosigned, latest_checkpoint
from service.audit.log import AuditLog
from service.audit.proofs import event_proof, tps_result_position
from service.audit.tiles import parse_tile_path, read_tile
from service.read.projections.merkle import tree_size

blp = Blueprint(
    "tlog",
    __name__,
    url_prefix="/api/v1",
    description="C2SP formats of the audit log: checkpoint, tiles, tlog-proof files, witnesses",
)

MAX_COSIGNED = 64 * 1024
FULL_TILE_CACHE = "public, max-age=31536000, immutable"
PARTIAL_TILE_CACHE = "public, max-age=60"
CHECKPOINT_CACHE = "public, max-age=2"


def _text(description: str, media_type: str = "text/plain") -> dict[str, Any]:
    return {
        "description": description,
        "content": {media_type: {"schema": {"type": "string"}}},
    }


@blp.route("/audit/checkpoint", methods=["GET"])
@public
@blp.doc(responses={"200": _text("the latest checkpoint as a signed note, with cosignatures")})
@problems(blp, 404)
def checkpoint() -> Any:
    """The latest checkpoint (c2sp.org/tlog-checkpoint): origin, size, base64 root and time,
    signed by the log's Ed25519 note key, followed by the cosignatures of its witnesses.
    This is the tree head to rely on; `/audit/tree-head` is its deprecated JSON form."""
    note = latest_checkpoint(AuditLog.of(services()))
    return Response(
        note.encode(), mimetype="text/plain", headers={"Cache-Control": CHECKPOINT_CACHE}
    )


@blp.route("/audit/checkpoint", methods=["POST"])
@public
@blp.doc(
    requestBody={
        "required": True,
        "description": "the checkpoint as served, with the witness's cosignature line added",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    },
    responses={"200": _text("the checkpoint as now served, cosignatures attached")},
)
@problems(blp, 400, 403, 404, 409, 413, 422)
def cosign() -> Any:
    """A witness posts the checkpoint it cosigned (c2sp.org/tlog-cosignature). Only witnesses
    listed in REKAP_WITNESSES are accepted, and only on the exact text the log signed."""
    length = request.content_length
    if length is not None and length > MAX_COSIGNED:
        abort(413, message=f"a cosigned checkpoint is at most {MAX_COSIGNED} bytes")
    body = request.stream.read(MAX_COSIGNED + 1)
    if len(body) > MAX_COSIGNED:
        abort(413, message=f"a cosigned checkpoint is at most {MAX_COSIGNED} bytes")
    if not body:
        abort(400, message="send the cosigned checkpoint as the request body")
    note = accept_cosigned(AuditLog.of(services()), body)
    return Response(note.encode(), mimetype="text/plain", headers={"Cache-Control": "no-store"})


@blp.route("/audit/tile/<path:path>", methods=["GET"])
@public
@blp.doc(
    responses={
        "200": {
            "description": "a hash tile (32-byte hashes) or an entry bundle (uint16-prefixed "
            "records), c2sp.org/tlog-tiles",
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        }
    }
)
@problems(blp, 404)
def tile(path: str) -> Any:
    """`tile/<level>/<index>[.p/<width>]` and `tile/entries/<index>[.p/<width>]`. Full tiles
    never change (cached for ever); partial ones are kept a minute."""
    try:
        wanted = parse_tile_path(f"tile/{path}")
    except ValueError as exc:
        abort(404, message=str(exc))
    reads = services().reads
    try:
        with reads.transaction(write=False) as tx:
            data = read_tile(tx, wanted, tree_size(tx))
    except NotFound:
        reads.short_of(f"tile {path}")  # a replica behind the checkpoint a client holds
        raise
    headers = {"Cache-Control": FULL_TILE_CACHE if wanted.full else PARTIAL_TILE_CACHE}
    if wanted.level is None:
        headers["Vary"] = "Accept-Encoding"
        if "gzip" in request.accept_encodings:
            data = gzip.compress(data, mtime=0)
            headers["Content-Encoding"] = "gzip"
    return Response(data, mimetype="application/octet-stream", headers=headers)


@blp.route("/audit/events/<int:position>/proof", methods=["GET"])
@public
@blp.doc(responses={"200": _text("a c2sp.org/tlog-proof file")})
@problems(blp, 404, 503)
def event_proof_file(position: int) -> Any:
    """A proof file (c2sp.org/tlog-proof) for the event at `position`: the checkpoint with its
    cosignatures, the leaf index, the inclusion path, and the event's record as extra data.
    `rekap audit check-proof FILE --log-key VKEY` verifies it offline."""
    return _proof_response(position, f"rekap-event-{position}.tlog-proof")


@blp.route("/elections/<eid>/contests/<cid>/tps/<tps>/proof", methods=["GET"])
@public
@blp.doc(responses={"200": _text("a c2sp.org/tlog-proof file")})
@problems(blp, 404, 503)
def tps_proof_file(eid: str, cid: str, tps: str) -> Any:
    """The proof file of a TPS's current result: its latest event (with the form it carries)
    proved included in the log under a checkpoint."""
    position = tps_result_position(AuditLog.of(services()), eid, cid, tps)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", f"rekap-{cid}-{normalise(tps)}")[:120]
    return _proof_response(position, f"{name}.tlog-proof")


def _proof_response(position: int, filename: str) -> Response:
    s = services()
    if position > s.runner.head():
        abort(404, message=f"no event at log position {position}")
    await_position(position)
    proof = event_proof(AuditLog.of(s), position)
    headers = {
        "Cache-Control": "public, max-age=10",
        "Content-Disposition": f'inline; filename="{filename}"',
    }
    return Response(proof.encode(), mimetype="text/plain", headers=headers)
