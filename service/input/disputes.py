"""Loaders of what follows the top plenary: a dispute at the Court, its ruling, and the
determination of the result."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, post_load, validates_schema
from marshmallow import fields as f
from marshmallow import validate as v

from domain.codes import Tier
from domain.commands import Determine, FileDispute, RuleOnDispute
from domain.disputes import DisputeOutcome
from service.input.fields import NAME_LENGTH, Code, Loads, Strict, Text, choice
from service.input.plenary import MAX_ORDERED_TPS

MAX_REOPENED = 1000


class DisputeSchema(Loads):
    COMMAND = FileDispute

    ref = Text(
        NAME_LENGTH, required=True, metadata={"description": "the Court's case number, once"}
    )
    detail = Text(required=True, metadata={"description": "what the petition disputes"})


class RulingSchema(Strict):
    outcome = choice(DisputeOutcome, required=True)
    detail = Text(required=True, metadata={"description": "what the Court ruled, in brief"})
    plenaries = f.List(
        Code(metadata={"example": "317102"}),
        load_default=list,
        validate=v.Length(max=MAX_REOPENED),
        metadata={"description": "re_vote, re_count, re_recap: the plenaries the ruling reopens"},
    )
    tps = f.List(
        Code(Tier.TPS),
        load_default=list,
        validate=v.Length(max=MAX_ORDERED_TPS),
        metadata={"description": "re_vote: the TPS where the vote is held again"},
    )

    @validates_schema(skip_on_field_errors=True)
    def reopens_what_it_orders(self, data: dict[str, Any], **kwargs: Any) -> None:
        outcome = data["outcome"]
        if outcome is DisputeOutcome.REJECTED and data["plenaries"]:
            raise ValidationError("a rejected dispute reopens nothing", "plenaries")
        if outcome is not DisputeOutcome.REJECTED and not data["plenaries"]:
            raise ValidationError(f"a ruling of {outcome.value} names what it reopens", "plenaries")
        if outcome is not DisputeOutcome.RE_VOTE and data["tps"]:
            raise ValidationError("only a re-vote names TPS", "tps")

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> RuleOnDispute:
        return RuleOnDispute(
            outcome=data["outcome"],
            detail=data["detail"],
            plenaries=tuple(data["plenaries"]),
            tps=tuple(data["tps"]),
        )


class DeterminationSchema(Strict):
    signed_by = f.List(Text(), required=True, validate=v.Length(min=1, max=100))

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Determine:
        return Determine(signed_by=tuple(data["signed_by"]))
