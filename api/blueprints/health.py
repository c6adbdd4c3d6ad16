"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from api.auth import public

blp = Blueprint("health", __name__, url_prefix="/", description="Liveness and readiness")


@blp.route("/healthz")
@public
def healthz() -> dict[str, Any]:
    """The process is up."""
    return {"status": "ok"}


@blp.route("/readyz")
@public
def readyz() -> Any:
    """The store answers; the projections' lag behind the log."""
    services = current_app.extensions["rekap"]
    try:
        head = services.runner.head()
        positions = services.runner.positions()
    except Exception as exc:
        from api.problems import problem

        return problem(503, f"the store does not answer: {exc.__class__.__name__}")
    return {
        "status": "ready",
        "log_head": head,
        "projections": {k: {"position": v, "lag": head - v} for k, v in positions.items()},
    }
