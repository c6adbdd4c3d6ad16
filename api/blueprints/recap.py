"""The recap of a region (public)."""

from __future__ import annotations

from typing import Any

from api.auth import public
from api.blueprints.audit import AsOfArgs, as_of_read
from api.http import Blueprint, await_position, problems, public_read, services
from api.schemas import RegionRecapSchema
from domain.codes import normalise

blp = Blueprint("recap", __name__, url_prefix="/api/v1", description="The tiered recap")


@blp.route("/elections/<eid>/contests/<cid>/regions/<code>")
@public
@blp.arguments(AsOfArgs, location="query", as_kwargs=True)
@blp.response(200, RegionRecapSchema)
@blp.alt_response(304, response="NOT_MODIFIED")
@problems(blp, 400, 404, 422, 503)
def region(
    eid: str, cid: str, code: str, wait_for: int | None = None, as_of: str | None = None
) -> Any:
    """The recap of a region with its children, anomalies and (at the top) the winner."""
    if as_of is not None:
        return as_of_read("region", eid, cid, code, as_of)
    await_position(wait_for)
    return public_read(services().queries.region(eid, cid, normalise(code)))
