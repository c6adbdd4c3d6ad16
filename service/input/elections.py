"""Loaders of an election's set-up: the election, a contest, the region tree."""

from __future__ import annotations

from typing import Any

from marshmallow import fields as f
from marshmallow import post_load
from marshmallow import validate as v

from domain.commands import CreateElection
from domain.contests import DISPUTE_WINDOW_HOURS, Candidate, Contest, ContestKind, WinnerRule
from service.input import load
from service.input.fields import NAME_LENGTH, SLUG, Code, DomainChecked, Strict, Text, choice

MAX_CANDIDATES = 99
MAX_DISPUTE_WINDOW_HOURS = 24 * 30


class ElectionCreateSchema(Strict):
    id = f.String(required=True, validate=SLUG)
    name = Text(NAME_LENGTH, required=True)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> CreateElection:
        return CreateElection(election_id=data["id"], name=data["name"])


class CandidateSchema(Strict):
    number = f.Integer(required=True, strict=True, validate=v.Range(0, 99))
    name = Text(NAME_LENGTH, required=True)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Candidate:
        return Candidate(**data)


class ContestSchema(Strict):
    """A contest; the election is the one of the path (the use case sets it)."""

    id = f.String(required=True, validate=SLUG)
    kind = choice(ContestKind, required=True)
    region = Code(required=True, metadata={"example": "31"})
    winner_rule = choice(WinnerRule, required=True)
    name = f.String(load_default="", validate=v.Length(0, NAME_LENGTH))
    candidates = f.List(
        f.Nested(CandidateSchema), required=True, validate=v.Length(1, MAX_CANDIDATES)
    )
    dispute_window_hours = f.Integer(
        load_default=DISPUTE_WINDOW_HOURS,
        strict=True,
        validate=v.Range(0, MAX_DISPUTE_WINDOW_HOURS),
        metadata={
            "description": "hours after the top plenary certifies before the result may be "
            "determined (disputes at the Constitutional Court)"
        },
    )

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Contest:
        return Contest(
            election_id="",
            contest_id=data["id"],
            kind=data["kind"],
            region=data["region"],
            winner_rule=data["winner_rule"],
            candidates=tuple(sorted(data["candidates"], key=lambda c: c.number)),
            name=data["name"].strip(),
            dispute_window_hours=data["dispute_window_hours"],
        )


class RegionNameSchema(Strict):
    code = Code(required=True, metadata={"example": "3171"})
    name = Text(NAME_LENGTH, required=True)


class TpsDptSchema(Strict):
    code = Code(required=True, metadata={"example": "3171011001001"})
    dpt = f.Integer(required=True, strict=True)


class RegionTreeSchema(Strict):
    """The regions and TPS, as the domain reads them (domain/regions.py: every code must fit
    its parent, every DPT a box of the form)."""

    regions = f.List(DomainChecked(RegionNameSchema), required=True)
    tps = f.List(DomainChecked(TpsDptSchema), load_default=list)


def election(document: Any) -> CreateElection:
    return load(ElectionCreateSchema, document, "the election is not valid")


def contest(document: Any) -> Contest:
    return load(ContestSchema, document, "the contest is not valid")
