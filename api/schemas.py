"""Marshmallow schemas of the v1 requests and responses: the OpenAPI document is made of these.

Envelopes are loaded strictly (unknown fields are refused). The C.Hasil form inside them is only
documented here: its shape depends on the contest (list names, candidate numbers), so it is
checked by `domain/form.py`, which answers every fault with its field path.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v

BOX = v.Range(0, 999)
CODE = v.Length(1, 24)  # a region or TPS code, dotted or not
ID = v.Length(1, 100)  # an id a client or rekap made
NAME = v.Length(1, 200)


class DomainChecked(f.Nested):
    """Documented as its nested schema, loaded as it came: the domain checks it, field by field.

    Only its type is checked here (an object), so that one bad item of a bulk import is answered
    on its own instead of failing the whole request.
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict):
            raise ma.ValidationError("must be an object")
        return value


class Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE
        ordered = True


# -- the C.Hasil form --------------------------------------------------------------------------


class SplitSchema(Strict):
    """One row split by sex: laki-laki, perempuan, jumlah."""

    l = f.Integer(required=True, strict=True, validate=BOX)  # noqa: E741 - the form's column
    p = f.Integer(required=True, strict=True, validate=BOX)
    j = f.Integer(required=True, strict=True, validate=BOX)


class BallotsSchema(Strict):
    received = f.Integer(required=True, strict=True, validate=BOX)
    used = f.Integer(required=True, strict=True, validate=BOX)
    returned = f.Integer(required=True, strict=True, validate=BOX)
    unused = f.Integer(required=True, strict=True, validate=BOX)


class FormSchema(Strict):
    """A C.Hasil. List names follow the contest's kind: Pilkada `dpt`, `dpph`, `dptb`; Pemilu
    `dpt` (registered) and `dpt`, `dptb`, `dpk` (voted); `voted.total` is the form's total row.
    `votes` is keyed by candidate number (`0` is the empty column of a single-candidate contest)."""

    registered = f.Dict(keys=f.String(), values=f.Nested(SplitSchema), required=True)
    voted = f.Dict(keys=f.String(), values=f.Nested(SplitSchema), required=True)
    ballots = f.Nested(BallotsSchema, required=True)
    disabled_voted = f.Nested(SplitSchema, required=True)
    votes = f.Dict(
        keys=f.String(validate=v.Regexp(r"^[0-9]{1,2}$")),
        values=f.Integer(strict=True, validate=BOX),
        required=True,
    )
    valid = f.Integer(required=True, strict=True, validate=BOX)
    invalid = f.Integer(required=True, strict=True, validate=BOX)
    total = f.Integer(required=True, strict=True, validate=BOX)


class EvidenceRefSchema(Strict):
    page = f.Integer(required=True, strict=True, validate=v.Range(1, 99))
    sha256 = f.String(required=True, validate=v.Regexp(r"^[0-9a-f]{64}$"))


class AnomalySchema(Strict):
    rule = f.String(required=True)
    severity = f.String(required=True, validate=v.OneOf(["hard", "soft"]))
    fields = f.List(f.String(), required=True)
    message = f.String(required=True)


# -- requests ----------------------------------------------------------------------------------


class SubmissionSchema(Strict):
    submission_id = f.String(
        required=True,
        validate=v.Length(1, 100),
        metadata={"description": "client-generated (a UUID); a retry sends the same one"},
    )
    captured_at = f.String(
        load_default=None,
        allow_none=True,
        validate=v.Length(1, 64),
        metadata={"description": "ISO 8601 with offset", "example": "2024-11-27T14:05:00+07:00"},
    )
    form = DomainChecked(FormSchema, required=True)
    evidence = f.List(f.Nested(EvidenceRefSchema), load_default=None, allow_none=True)


class BulkItemSchema(SubmissionSchema):
    tps = f.String(required=True, validate=CODE, metadata={"example": "3171011001001"})


class BulkRequestSchema(BulkItemSchema):
    """Documented as its items; loaded as it came, so each item is checked (and answered) alone."""

    def load(self, data: Any, *, many: bool | None = None, **kwargs: Any) -> Any:
        if not isinstance(data, list):
            raise ma.ValidationError("a list of submissions, each with its tps")
        return data


class CorrectionSchema(Strict):
    form = DomainChecked(FormSchema, required=True)
    reason = f.String(required=True, validate=v.Length(1, 2000))
    objection_id = f.String(load_default=None, allow_none=True, validate=ID)
    request_id = f.String(
        load_default=None,
        allow_none=True,
        validate=v.Length(1, 100),
        metadata={"description": "client-generated; a retry with the same id stores nothing"},
    )
    evidence = f.List(f.Nested(EvidenceRefSchema), load_default=None, allow_none=True)


class ElectionCreateSchema(Strict):
    id = f.String(required=True, validate=v.Regexp(r"^[A-Za-z0-9_-]{1,64}$"))
    name = f.String(required=True, validate=v.Length(1, 200))


class CandidateSchema(Strict):
    number = f.Integer(required=True, strict=True, validate=v.Range(0, 99))
    name = f.String(required=True, validate=v.Length(1, 200))


class ContestSchema(Strict):
    id = f.String(required=True, validate=v.Regexp(r"^[A-Za-z0-9_-]{1,64}$"))
    kind = f.String(required=True, validate=v.OneOf(["presiden", "gubernur", "bupati", "walikota"]))
    region = f.String(required=True, validate=CODE, metadata={"example": "31"})
    winner_rule = f.String(
        required=True,
        validate=v.OneOf(["plurality", "majority_runoff", "presidential", "single_candidate"]),
    )
    name = f.String(load_default="", validate=v.Length(0, 200))
    candidates = f.List(f.Nested(CandidateSchema), required=True, validate=v.Length(1, 99))


class RegionNameSchema(Strict):
    code = f.String(required=True, validate=CODE, metadata={"example": "3171"})
    name = f.String(required=True, validate=NAME)


class TpsDptSchema(Strict):
    code = f.String(required=True, validate=CODE, metadata={"example": "3171011001001"})
    dpt = f.Integer(required=True, strict=True)


class RegionTreeSchema(Strict):
    regions = f.List(DomainChecked(RegionNameSchema), required=True)
    tps = f.List(DomainChecked(TpsDptSchema), load_default=list)


class WaitForArgs(Strict):
    wait_for = f.Integer(
        validate=v.Range(0, 2**62),
        metadata={"description": "answer only once the read model includes this log position"},
    )


# -- responses ---------------------------------------------------------------------------------


class PositionSchema(Strict):
    position = f.Integer(
        required=True, metadata={"description": "the log position of this write (wait_for it)"}
    )


class ElectionCreatedSchema(PositionSchema):
    id = f.String(required=True)
    name = f.String(required=True)
    created = f.Boolean(required=True)


class ContestOutSchema(Strict):
    id = f.String(required=True)
    kind = f.String(required=True)
    region = f.String(required=True)
    winner_rule = f.String(required=True)
    name = f.String()
    candidates = f.List(f.Nested(CandidateSchema), required=True)


class ContestCreatedSchema(PositionSchema):
    contest = f.Nested(ContestOutSchema, required=True)
    created = f.Boolean(required=True)


class RegionsLoadedSchema(PositionSchema):
    chunks = f.Integer(required=True)
    loaded = f.Integer(required=True)
    unchanged = f.Integer(required=True)
    regions = f.Integer(required=True)
    tps = f.Integer(required=True)


class ElectionSummarySchema(Strict):
    id = f.String(required=True)
    name = f.String(required=True)


class ElectionListSchema(Strict):
    elections = f.List(f.Nested(ElectionSummarySchema), required=True)


class ElectionSchema(ElectionSummarySchema):
    contests = f.List(f.Nested(ContestOutSchema), required=True)


class ResultOutcomeSchema(Strict):
    election = f.String(required=True)
    contest = f.String(required=True)
    tps = f.String(required=True)
    version = f.Integer(required=True)
    position = f.Integer(required=True)
    submission_id = f.String(required=True)
    form = f.Nested(FormSchema, required=True)
    anomalies = f.List(f.Nested(AnomalySchema), required=True)


class ResultVersionSchema(Strict):
    version = f.Integer(required=True)
    kind = f.String(required=True, validate=v.OneOf(["submitted", "corrected"]))
    form = f.Nested(FormSchema, required=True)
    reason = f.String(allow_none=True)
    actor = f.Dict(required=True)
    at = f.String(required=True)
    position = f.Integer(required=True)
    evidence = f.List(f.Nested(EvidenceRefSchema))
    submission_id = f.String()
    captured_at = f.String(allow_none=True)
    source = f.String()
    corrects_version = f.Integer()
    request_id = f.String(allow_none=True)
    objection_id = f.String(allow_none=True)
    plenary = f.Dict(allow_none=True)


class TpsResultSchema(Strict):
    tps = f.String(required=True)
    election = f.String(required=True)
    contest = f.String(required=True)
    dpt = f.Integer(allow_none=True)
    version = f.Integer(required=True)
    form = f.Nested(FormSchema, required=True)
    anomalies = f.List(f.Nested(AnomalySchema), required=True)
    submitted = f.Nested(ResultVersionSchema, allow_none=True)
    corrections = f.List(f.Nested(ResultVersionSchema), required=True)
    evidence = f.List(f.Nested(EvidenceRefSchema), required=True)
    position = f.Integer(required=True)


class BulkItemOutSchema(Strict):
    index = f.Integer(required=True)
    tps = f.String(allow_none=True)
    status = f.Integer(required=True, metadata={"description": "201, 200 (a retry), 4xx"})
    version = f.Integer()
    position = f.Integer()
    submission_id = f.String()
    anomalies = f.List(f.Nested(AnomalySchema))
    problem = f.Dict(metadata={"description": "the item's problem+json body when it failed"})


class BulkOutSchema(Strict):
    counts = f.Dict(keys=f.String(), values=f.Integer(), required=True)
    position = f.Integer(required=True)
    items = f.List(f.Nested(BulkItemOutSchema), required=True)


class AnomalyCountsSchema(Strict):
    hard = f.Integer(required=True)
    soft = f.Integer(required=True)
    tps = f.List(f.String())
    list = f.List(f.Nested(AnomalySchema))


class RegionFiguresSchema(Strict):
    code = f.String(required=True)
    name = f.String(required=True)
    tier = f.String(required=True)
    votes = f.Dict(keys=f.String(), values=f.Integer(), required=True)
    valid = f.Integer(required=True)
    invalid = f.Integer(required=True)
    total = f.Integer(required=True)
    dpt = f.Integer(required=True)
    tps_total = f.Integer(required=True)
    tps_reported = f.Integer(required=True)
    progress = f.Float(required=True)
    percentages = f.Dict(keys=f.String(), values=f.Float(), required=True)
    anomalies = f.Nested(AnomalyCountsSchema, required=True)
    figures = f.Dict(allow_none=True, metadata={"description": "every box of the form, summed"})
    version = f.Integer(metadata={"description": "a TPS child: its result's version"})
    plenary = f.String(
        metadata={"description": "a child holding a plenary: not_open, open, certified, reopened"}
    )


class WinnerSchema(Strict):
    status = f.String(required=True, validate=v.OneOf(["decided", "runoff", "pending"]))
    rule = f.String(required=True)
    candidates = f.List(f.Integer(), required=True)
    detail = f.String()
    facts = f.Dict()


class RegionRecapSchema(RegionFiguresSchema):
    children = f.List(f.Nested(RegionFiguresSchema), required=True)
    plenary = f.Dict(allow_none=True)
    winner = f.Nested(WinnerSchema, allow_none=True)
    position = f.Integer(required=True)


class EvidenceOutSchema(Strict):
    sha256 = f.String(required=True)
    size = f.Integer(required=True)
    media_type = f.String(required=True)
    url = f.String(required=True)
