"""The seats of a legislative contest (public)."""

from __future__ import annotations

from typing import Any

from api.auth import public
from api.http import Blueprint, await_position, problems, public_read, services
from api.schemas import SeatsSchema, WaitForArgs

blp = Blueprint("seats", __name__, url_prefix="/api/v1", description="Seats")


@blp.route("/elections/<eid>/contests/<cid>/seats")
@public
@blp.arguments(WaitForArgs, location="query", as_kwargs=True)
@blp.response(200, SeatsSchema)
@blp.alt_response(304, response="NOT_MODIFIED")
@problems(blp, 400, 404, 422, 503)
def seats(eid: str, cid: str, wait_for: int | None = None) -> Any:
    """The seats: provisional on the current figures until the contest's top plenary
    certifies, then final on the certified figures; every tie named with its rule."""
    await_position(wait_for)
    return public_read(services().queries.seats(eid, cid))
