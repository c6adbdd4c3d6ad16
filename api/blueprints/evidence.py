"""Evidence: photos and PDFs of form pages, stored by their SHA-256 and served to anyone."""

from __future__ import annotations

from typing import Any

from flask import request, send_file, url_for
from flask_smorest import abort

from api.auth import public, requires
from api.http import Blueprint, body_limit, problems, services
from api.schemas import EvidenceOutSchema
from domain.access import Role
from service.store.evidence import MAX_BYTES, MEDIA_TYPES, SHA256, TooLarge, UnsupportedMedia

blp = Blueprint("evidence", __name__, url_prefix="/api/v1", description="Evidence files")

UPLOADERS = (
    Role.KPPS,
    Role.OPERATOR,
    Role.PPK,
    Role.KPU_KABKOTA,
    Role.KPU_PROVINSI,
    Role.KPU_RI,
)
BINARY = {"schema": {"type": "string", "format": "binary"}}
UPLOAD_BODY = {
    "required": True,
    "description": f"the file itself (at most {MAX_BYTES // 2**20} MiB); its type is read from "
    "its first bytes",
    "content": {media_type: BINARY for media_type in MEDIA_TYPES},
}


@blp.route("/evidence", methods=["POST"])
@body_limit(MAX_BYTES + 1)
@requires(*UPLOADERS)
@blp.doc(requestBody=UPLOAD_BODY)
@blp.response(201, EvidenceOutSchema, description="stored")
@blp.alt_response(200, schema=EvidenceOutSchema, description="these bytes were stored already")
@problems(blp, 400, 413, 415, auth=True)
def upload() -> Any:
    """Upload one page (JPEG, PNG, WebP or PDF); cite its sha256 in a submission's evidence."""
    length = request.content_length
    if length is not None and length > MAX_BYTES:
        abort(413, message=f"evidence is at most {MAX_BYTES // 2**20} MiB")
    data = request.stream.read(MAX_BYTES + 1)
    if not data:
        abort(400, message="send the file as the request body")
    try:
        stored = services().evidence.put(data)
    except TooLarge as exc:
        abort(413, message=exc.message)
    except UnsupportedMedia as exc:
        abort(415, message=exc.message)
    document = {**stored.to_dict(), "url": url_for("evidence.download", sha256=stored.sha256)}
    return document, 201 if stored.created else 200, {"Location": document["url"]}


@blp.route("/evidence/<sha256>", methods=["GET"])
@public
@blp.doc(
    responses={
        "200": {
            "description": "the file, with its own media type",
            "content": {media_type: BINARY for media_type in MEDIA_TYPES},
        }
    }
)
@blp.alt_response(304, response="NOT_MODIFIED")
@problems(blp, 404)
def download(sha256: str) -> Any:
    """An evidence file. It never changes, so caches may keep it for good."""
    if not SHA256.match(sha256):
        abort(404, message="evidence is named by the lowercase hex SHA-256 of its bytes")
    path, media_type = services().evidence.open(sha256)
    response = send_file(path, mimetype=media_type, etag=sha256, conditional=True, max_age=None)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
