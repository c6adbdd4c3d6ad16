"""Marshmallow schemas of the v1 responses (and query arguments): with the request loaders of
service/input/, the OpenAPI document is made of these."""

from __future__ import annotations

from marshmallow import fields as f
from marshmallow import validate as v

from service.input.elections import CandidateSchema
from service.input.fields import Strict
from service.input.results import EvidenceRefSchema, FormSchema


class AnomalySchema(Strict):
    rule = f.String(required=True)
    severity = f.String(required=True, validate=v.OneOf(["hard", "soft"]))
    fields = f.List(f.String(), required=True)
    message = f.String(required=True)


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
    dispute_window_hours = f.Integer()
    threshold = f.Float(metadata={"description": "legislative: percent of the valid votes"})
    parties = f.List(f.Nested(CandidateSchema), metadata={"description": "legislative"})
    districts = f.List(f.Dict(), metadata={"description": "legislative: the dapil"})


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
    tps_with_evidence = f.Integer(
        metadata={"description": "TPS whose current result cites a C.Hasil photo or PDF"}
    )
    evidence_progress = f.Float(metadata={"description": "tps_with_evidence in percent of TPS"})
    tps_read_in_plenary = f.Integer(
        metadata={"description": "TPS whose result was read from its C.Hasil in plenary"}
    )
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
    district = f.Dict(
        metadata={"description": "legislative: the district holding every TPS of the region"}
    )
    parties = f.Dict(
        metadata={
            "description": "legislative, inside one district: per party its party-only votes, "
            "each candidate's and its total"
        }
    )
    districts = f.List(
        f.Dict(),
        metadata={"description": "legislative, over several districts: each with its figures"},
    )
    plenary = f.Dict(allow_none=True)
    winner = f.Nested(WinnerSchema, allow_none=True)
    result = f.String(
        allow_none=True,
        validate=v.OneOf(["certified", "disputed", "determined"]),
        metadata={
            "description": "the contest's top region: certified (the top plenary certified), "
            "disputed (a dispute awaits the Court's ruling), determined; otherwise null"
        },
    )
    position = f.Integer(required=True)
    read_in_plenary = f.List(
        f.String(),
        metadata={"description": "the TPS whose result was read in plenary (the first 100)"},
    )


class EvidenceOutSchema(Strict):
    sha256 = f.String(required=True)
    size = f.Integer(required=True)
    media_type = f.String(required=True)
    url = f.String(required=True)


class SeatsSchema(Strict):
    status = f.String(required=True, validate=v.OneOf(["provisional", "final"]))
    based_on = f.Dict(
        required=True,
        metadata={"description": "the log position (provisional) or the certificate (final)"},
    )
    threshold = f.Dict(
        allow_none=True,
        metadata={"description": "percent, votes needed, the parties that passed; DPD: null"},
    )
    seats = f.Dict(
        keys=f.String(),
        values=f.Integer(),
        required=True,
        metadata={"description": "seats won per party (DPD: per province)"},
    )
    districts = f.List(
        f.Dict(),
        required=True,
        metadata={"description": "allocation, quotients, elected, ties (each with its rule)"},
    )
