"""Loaders of a push from a kecamatan node (`POST /api/v1/sync`): the envelope, and each step
alone, so that a step that cannot be loaded is answered alone (a conflict), not the push. The
body of a step is what the API's route for that step takes, loaded by the same loaders when the
step is replayed (service/usecases/sync.py)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marshmallow import fields as f
from marshmallow import post_load
from marshmallow import validate as v

from domain.errors import DomainError, FieldError, InvalidInput
from service.input import load
from service.input.fields import ID, SHA256, Code, Moment, Strict

MAX_STEPS = 20_000
MAX_EVIDENCE_BASE64 = 14 * 1024 * 1024  # a page of 10 MiB at most, as base64
# What a node may have done, by the API route each kind replays.
PLENARY_STEPS = (
    "open",  # POST .../plenaries/{code}/open
    "objection",  # .../objections
    "resolution",  # .../objections/{ref}/resolution
    "recommendation",  # .../recommendations
    "answer",  # .../recommendations/{ref}/answer
    "correction",  # .../corrections
    "result_read",  # .../results
    "acceptance",  # .../anomalies/{ref}/acceptance
    "certification",  # .../certification (with `expect`: the node's certified figures)
    "reopen",  # .../reopen
    "revote",  # .../revotes
)
TPS_STEPS = (
    "submission",  # POST .../tps/{target}/submissions
    "tps_correction",  # .../tps/{target}/corrections, If-Match: `version`
)
STEP_KINDS = PLENARY_STEPS + TPS_STEPS


@dataclass(frozen=True)
class Step:
    id: str  # the node's id of the step: what makes a push idempotent
    kind: str
    contest: str
    target: str  # the plenary's region, or the TPS
    at: datetime  # when it was done on the node
    actor: dict[str, Any]  # who did it there, as the node recorded it
    body: dict[str, Any]
    ref: str | None = None
    version: int | None = None
    expect: dict[str, Any] | None = None


@dataclass(frozen=True)
class Unreadable:
    """A step that cannot be loaded: answered alone, as a conflict."""

    id: str | None
    error: DomainError


@dataclass(frozen=True)
class Push:
    node: str
    election: str
    region: str
    steps: tuple[Step | Unreadable, ...]
    evidence: tuple[tuple[str, bytes], ...] = ()  # (sha256, bytes) of the pages steps cite


class StepSchema(Strict):
    id = f.String(required=True, validate=ID)
    kind = f.String(required=True, validate=v.OneOf(STEP_KINDS))
    contest = f.String(required=True, validate=ID)
    target = Code(required=True)
    at = Moment(required=True)
    actor = f.Dict(keys=f.String(), required=True)
    body = f.Dict(keys=f.String(), load_default=dict)
    ref = f.String(allow_none=True, load_default=None, validate=ID)
    version = f.Integer(strict=True, allow_none=True, load_default=None, validate=v.Range(1))
    expect = f.Dict(keys=f.String(), allow_none=True, load_default=None)


class EvidenceFileSchema(Strict):
    sha256 = f.String(required=True, validate=SHA256)
    data = f.String(
        required=True,
        validate=v.Length(max=MAX_EVIDENCE_BASE64),
        metadata={"description": "the file's bytes, base64"},
    )


class PushSchema(Strict):
    node = f.String(required=True, validate=ID, metadata={"description": "the node's id"})
    election = f.String(required=True, validate=ID)
    region = Code(required=True, metadata={"description": "the node's kecamatan"})
    steps = f.List(
        f.Dict(),
        required=True,
        validate=v.Length(max=MAX_STEPS),
        metadata={"description": "in the order the node did them; each loaded alone"},
    )
    evidence = f.List(
        f.Nested(EvidenceFileSchema),
        load_default=list,
        metadata={"description": "the evidence pages the steps cite, for central to keep"},
    )

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Push:
        return _push(data)


def push(document: Any) -> Push:
    result: Push = load(PushSchema, document, "the push cannot be read")
    return result


def _push(fields: dict[str, Any]) -> Push:
    steps: list[Step | Unreadable] = []
    for raw in fields["steps"]:
        try:
            steps.append(Step(**load(StepSchema, raw, "the step cannot be read")))
        except DomainError as exc:
            named = raw.get("id")
            steps.append(Unreadable(named if isinstance(named, str) else None, exc))
    files = []
    for i, page in enumerate(fields["evidence"]):
        try:
            files.append((page["sha256"], base64.b64decode(page["data"], validate=True)))
        except ValueError:
            message = "not base64"
            raise InvalidInput(message, [FieldError(f"evidence.{i}.data", message)]) from None
    return Push(fields["node"], fields["election"], fields["region"], tuple(steps), tuple(files))
