"""Liveness and readiness (for load balancers and orchestrators; never cached)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from api.auth import public
from api.http import Blueprint, problems, services
from api.problems import problem

blp = Blueprint("health", __name__, url_prefix="/", description="Liveness and readiness")


class HealthSchema(ma.Schema):
    status = ma.fields.String(required=True)


class LagSchema(ma.Schema):
    position = ma.fields.Integer(required=True)
    lag = ma.fields.Integer(required=True, metadata={"description": "events not yet applied"})


class ReadySchema(HealthSchema):
    log_head = ma.fields.Integer(required=True)
    projections = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(LagSchema))


NO_STORE = {"Cache-Control": "no-store"}


@blp.route("/healthz")
@public
@blp.response(200, HealthSchema)
def healthz() -> Any:
    """The process is up."""
    return {"status": "ok"}, 200, NO_STORE


@blp.route("/readyz")
@public
@blp.response(200, ReadySchema)
@problems(blp, 503)
def readyz() -> Any:
    """The store answers; the projections' lag behind the log."""
    runner = services().runner
    try:
        head = runner.head()
        positions = runner.positions()
    except Exception as exc:  # any failure of the store means not ready
        return problem(503, f"the store does not answer: {exc.__class__.__name__}")
    document = {
        "status": "ready",
        "log_head": head,
        "projections": {k: {"position": v, "lag": head - v} for k, v in positions.items()},
    }
    return document, 200, NO_STORE
