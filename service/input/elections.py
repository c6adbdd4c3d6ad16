"""Loaders of an election's set-up: the election, a contest, the region tree."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields as f
from marshmallow import post_load, pre_load
from marshmallow import validate as v

from domain.codes import NATION
from domain.commands import CreateElection
from domain.contests import (
    DISPUTE_WINDOW_HOURS,
    Candidate,
    Contest,
    ContestKind,
    District,
    WinnerRule,
)
from service.input import load
from service.input.fields import NAME_LENGTH, SLUG, Code, DomainChecked, Loads, Strict, Text, choice

MAX_CANDIDATES = 99
MAX_DISPUTE_WINDOW_HOURS = 24 * 30
MAX_DISTRICTS = 200  # DPR 84, a DPRD at most a dozen or two
MAX_DISTRICT_REGIONS = 5000  # a DPRD kab/kota dapil may be made of desa
MAX_SEATS = 120
DISTRICT_CODE = v.Regexp(r"^[A-Za-z0-9_.-]{1,32}$", error="1-32 letters, digits, '.', '-' or '_'")
PARTY_KEY = v.Regexp(r"^[0-9]{1,2}$", error="a party's ballot number")


class ElectionCreateSchema(Strict):
    id = f.String(required=True, validate=SLUG)
    name = Text(NAME_LENGTH, required=True)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> CreateElection:
        return CreateElection(election_id=data["id"], name=data["name"])


class CandidateSchema(Loads):
    COMMAND = Candidate

    number = f.Integer(required=True, strict=True, validate=v.Range(0, 99))
    name = Text(NAME_LENGTH, required=True)


class Ballot(f.Field):
    """A district's candidates: per party `{"3": [{number, name}]}`, or a list (DPD)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        listed = f.List(f.Nested(CandidateSchema), validate=v.Length(0, MAX_CANDIDATES))
        self.individuals = listed
        self.lists = f.Dict(keys=f.String(validate=PARTY_KEY), values=listed)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, list):
            return self.individuals.deserialize(value)
        if isinstance(value, dict):
            if len(value) > MAX_CANDIDATES:
                raise ma.ValidationError(f"at most {MAX_CANDIDATES} parties")
            return self.lists.deserialize(value)
        raise ma.ValidationError("per party {party: [candidates]}, or a list (DPD)")


class DistrictSchema(Strict):
    code = f.String(required=True, validate=DISTRICT_CODE)
    name = Text(NAME_LENGTH, required=True)
    seats = f.Integer(required=True, strict=True, validate=v.Range(1, MAX_SEATS))
    regions = f.List(Code(), required=True, validate=v.Length(1, MAX_DISTRICT_REGIONS))
    candidates = Ballot(required=True)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> District:
        listed = data["candidates"]
        if isinstance(listed, dict):
            lists = tuple(sorted((int(p), _by_number(cs)) for p, cs in listed.items()))
            individuals: tuple[Candidate, ...] = ()
        else:
            lists, individuals = (), _by_number(listed)
        regions = tuple(data["regions"])
        return District(data["code"], data["name"], data["seats"], regions, lists, individuals)


def _by_number(candidates: list[Candidate]) -> tuple[Candidate, ...]:
    return tuple(sorted(candidates, key=lambda c: c.number))


class ContestSchema(Strict):
    """A contest; the election is the one of the path (the use case sets it). A legislative
    contest (dpr, dpd, dprd_provinsi, dprd_kabkota) has parties, districts and a threshold
    instead of a winner rule and candidates."""

    id = f.String(required=True, validate=SLUG)
    kind = choice(ContestKind, required=True)
    region = Code(required=True, metadata={"example": "31"})
    winner_rule = choice(WinnerRule, load_default=None)
    name = f.String(load_default="", validate=v.Length(0, NAME_LENGTH))
    candidates = f.List(
        f.Nested(CandidateSchema), load_default=list, validate=v.Length(0, MAX_CANDIDATES)
    )
    threshold = f.Float(load_default=0.0, validate=v.Range(0, 100))
    parties = f.List(
        f.Nested(CandidateSchema), load_default=list, validate=v.Length(0, MAX_CANDIDATES)
    )
    districts = f.List(
        f.Nested(DistrictSchema), load_default=list, validate=v.Length(0, MAX_DISTRICTS)
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

    @pre_load
    def nation(self, data: Any, **kwargs: Any) -> Any:
        # api.md writes the nation of a national legislative contest as "".
        if isinstance(data, dict) and data.get("region") == "":
            return {**data, "region": NATION}
        return data

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Contest:
        legislative = data["kind"].is_legislative
        if data["winner_rule"] is None and not legislative:
            raise ma.ValidationError("required for a contest of paslon", "winner_rule")
        if not legislative and (data["parties"] or data["districts"]):
            raise ma.ValidationError("only a legislative contest has them", "districts")
        return Contest(
            election_id="",
            contest_id=data["id"],
            kind=data["kind"],
            region=data["region"],
            winner_rule=data["winner_rule"] or WinnerRule.PLURALITY,
            candidates=tuple(sorted(data["candidates"], key=lambda c: c.number)),
            name=data["name"].strip(),
            dispute_window_hours=data["dispute_window_hours"],
            parties=tuple(sorted(data["parties"], key=lambda c: c.number)),
            districts=tuple(data["districts"]),
            threshold=data["threshold"] if legislative else 0.0,
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
