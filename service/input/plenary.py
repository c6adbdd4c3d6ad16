"""Loaders of the plenary's commands: objections and their resolution, recommendations and their
answers, corrections, accepted anomalies, certification, reopening, re-votes."""

from __future__ import annotations

from typing import Any

from marshmallow import fields as f
from marshmallow import post_load
from marshmallow import validate as v

from domain.codes import Tier
from domain.commands import (
    AcceptAnomaly,
    AnswerRecommendation,
    Certify,
    CorrectInPlenary,
    CourtOrder,
    RaiseObjection,
    ReadResultInPlenary,
    RecordRecommendation,
    RecordRevote,
    Refusal,
    Reopen,
    ResolveObjection,
)
from domain.plenary import ObjectionSubject, OrderKind
from service.input.fields import ID, Code, DomainChecked, Flag, Loads, Strict, Text, choice
from service.input.results import EvidenceRefSchema, FormSchema

MAX_ORDERED_TPS = 1000


class CorrectionBodySchema(Loads):
    COMMAND = CorrectInPlenary

    tps = Code(Tier.TPS, required=True, metadata={"description": "the TPS corrected"})
    form = DomainChecked(FormSchema, required=True)
    reason = Text(required=True)
    objection_id = f.String(allow_none=True, load_default=None, validate=ID)


class ResultReadSchema(Strict):
    tps = Code(Tier.TPS, required=True, metadata={"description": "a TPS with no result yet"})
    form = DomainChecked(FormSchema, required=True)
    reason = Text(required=True, metadata={"example": "read from the sealed C.Hasil in plenary"})
    evidence = f.List(f.Nested(EvidenceRefSchema), load_default=list, validate=v.Length(max=99))

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> ReadResultInPlenary:
        return ReadResultInPlenary(**{**data, "evidence": tuple(data["evidence"])})


class ResolutionCorrectionSchema(Loads):
    COMMAND = CorrectInPlenary

    tps = Code(Tier.TPS, required=True)
    form = DomainChecked(FormSchema, required=True)
    reason = Text(required=True)


class ObjectionSchema(Loads):
    COMMAND = RaiseObjection

    subject = choice(ObjectionSubject, required=True)
    target = Text(
        allow_none=True,
        load_default=None,
        metadata={"description": "a TPS code (subject tps), a child region (region), or free"},
    )
    detail = Text(required=True)


class ResolutionSchema(Strict):
    accepted = Flag(required=True)
    note = Text(required=True)
    correction = f.Nested(ResolutionCorrectionSchema, allow_none=True, load_default=None)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return data  # the objection is named by the path: see resolution()


class RecommendationSchema(Loads):
    COMMAND = RecordRecommendation

    text = Text(required=True)


class AnswerSchema(Strict):
    followed = Flag(required=True)
    answer = Text(required=True)


class AcceptanceSchema(Strict):
    reason = Text(required=True)


class RefusalSchema(Loads):
    COMMAND = Refusal

    by = Text(required=True)
    reason = Text(required=True)


class CertificationSchema(Strict):
    signed_by = f.List(Text(), required=True, validate=v.Length(min=1, max=100))
    refusals = f.List(f.Nested(RefusalSchema), load_default=list, validate=v.Length(max=100))

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Certify:
        return Certify(signed_by=tuple(data["signed_by"]), refusals=tuple(data["refusals"]))


class OrderSchema(Strict):
    kind = choice(OrderKind, required=True)
    ref = Text(required=True, metadata={"example": "MK 123/2025"})
    tps = f.List(
        Code(Tier.TPS),
        load_default=list,
        validate=v.Length(max=MAX_ORDERED_TPS),
        metadata={"description": "re_vote: the TPS"},
    )

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> CourtOrder:
        return CourtOrder(kind=data["kind"], ref=data["ref"], tps=tuple(data["tps"]))


class ReopenSchema(Loads):
    COMMAND = Reopen

    reason = Text(required=True)
    order = f.Nested(OrderSchema, allow_none=True, load_default=None)


class RevoteSchema(Loads):
    COMMAND = RecordRevote

    tps = Code(Tier.TPS, required=True)
    form = DomainChecked(FormSchema, required=True)


def resolution(objection_id: str, fields: dict[str, Any]) -> ResolveObjection:
    return ResolveObjection(objection_id=objection_id, **fields)


def answer(recommendation_id: str, fields: dict[str, Any]) -> AnswerRecommendation:
    return AnswerRecommendation(recommendation_id=recommendation_id, **fields)


def acceptance(tps: str, fields: dict[str, Any]) -> AcceptAnomaly:
    return AcceptAnomaly(tps=tps, **fields)
