"""Liveness and readiness (for load balancers and orchestrators; never cached)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from api.auth import public
from api.http import Blueprint, problems, services
from api.problems import problem
from service.read.projections.health import readiness

blp = Blueprint("health", __name__, url_prefix="/", description="Liveness and readiness")


class HealthSchema(ma.Schema):
    status = ma.fields.String(required=True)


class ProjectionErrorSchema(ma.Schema):
    message = ma.fields.String(required=True, metadata={"description": "the error, as raised"})
    position = ma.fields.Integer(
        allow_none=True, metadata={"description": "log position of the event it cannot apply"}
    )
    aggregate = ma.fields.String(allow_none=True, metadata={"description": "its aggregate id"})
    topic = ma.fields.String(allow_none=True, metadata={"description": "its event topic"})
    since = ma.fields.String(required=True, metadata={"description": "first failure (UTC)"})
    seconds = ma.fields.Float(required=True, metadata={"description": "stuck for so long"})
    attempts = ma.fields.Integer(required=True)


class LagSchema(ma.Schema):
    position = ma.fields.Integer(required=True)
    lag = ma.fields.Integer(required=True, metadata={"description": "events not yet applied"})
    running = ma.fields.Boolean(
        required=True, metadata={"description": "a runner holds an unexpired lease on it"}
    )
    holder = ma.fields.String(
        allow_none=True, metadata={"description": "the process that last ran it"}
    )
    heartbeat_age = ma.fields.Float(
        allow_none=True, metadata={"description": "seconds since its runner last renewed"}
    )
    error = ma.fields.Nested(
        ProjectionErrorSchema,
        allow_none=True,
        metadata={"description": "the event it cannot apply, until it moves again"},
    )


class ReplicaSchema(ma.Schema):
    name = ma.fields.String(required=True, metadata={"example": "replica-1"})
    address = ma.fields.String(required=True, metadata={"example": "10.0.0.12:5432/rekap"})
    state = ma.fields.String(
        required=True,
        metadata={
            "description": "streaming (serves reads), behind (lags more than "
            "REKAP_REPLICA_MAX_LAG), down (does not answer), promoted (no longer a standby), "
            "unknown (not looked at yet)"
        },
    )
    position = ma.fields.Integer(
        allow_none=True, metadata={"description": "log position its read models have applied"}
    )
    lag = ma.fields.Integer(
        allow_none=True, metadata={"description": "events the primary's read models are ahead"}
    )
    seconds = ma.fields.Float(
        allow_none=True,
        metadata={"description": "seconds since the primary's read models were where its are"},
    )
    error = ma.fields.String(allow_none=True, metadata={"description": "why it serves no reads"})


class ReadySchema(HealthSchema):
    log_head = ma.fields.Integer(required=True)
    projections = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(LagSchema))
    replicas = ma.fields.List(
        ma.fields.Nested(ReplicaSchema),
        metadata={"description": "the read replicas (REKAP_READ_DATABASE_URL), as last seen"},
    )


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
    """The store answers, and the read models will keep up with the log.

    503 `unavailable` when the store does not answer; 503 `not_ready` (its `detail` says why,
    `projections` as below) when a projection is stuck on an event it cannot apply, or is
    behind the log while no runner renews its lease (the projection process is down).
    `replicas` lists each read replica with its lag; a replica that is down, promoted or too
    far behind serves no reads (the others or the primary do), so it does not make the
    process unready.
    """
    s = services()
    runner = s.runner
    try:
        positions = runner.positions()
        head = runner.head()
        states = runner.health()
    except Exception as exc:  # any failure of the store means not ready
        return problem(
            503,
            f"the store does not answer: {exc.__class__.__name__}",
            "unavailable",
            headers={**NO_STORE, "Retry-After": "2"},
        )
    state = readiness(head, positions, states)
    replicas = {"replicas": s.reads.statuses()} if s.reads.replicas else {}
    if not state.ready:
        return problem(
            503,
            "; ".join(state.problems),
            "not_ready",
            headers={**NO_STORE, "Retry-After": "5"},
            log_head=head,
            projections=state.projections,
            **replicas,
        )
    document = {"status": "ready", "log_head": head, "projections": state.projections}
    return {**document, **replicas}, 200, NO_STORE
