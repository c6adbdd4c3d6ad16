"""The recap of a region (public)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from api.auth import public
from domain.codes import normalise

blp = Blueprint("recap", __name__, url_prefix="/api/v1", description="The tiered recap")


@blp.route("/elections/<eid>/contests/<cid>/regions/<code>")
@public
def region(eid: str, cid: str, code: str) -> dict[str, Any]:
    """The recap of a region with its children, anomalies and (at the top) the winner."""
    services = current_app.extensions["rekap"]
    return services.queries.region(eid, cid, normalise(code))
