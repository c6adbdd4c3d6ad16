"""Aggregates of an election's set-up: the election, its contests and its region tree."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ids import aggregate_id


class Election(Aggregate):
    TOPIC = "rekap:Election"

    class Created(Aggregate.Created):
        TOPIC = "rekap:Election.Created"

    @staticmethod
    def create_id(election_id: str) -> UUID:
        return aggregate_id("election", election_id)

    @event("Registered", topic="rekap:Election.Registered")
    def __init__(self, election_id: str, name: str, actor: dict[str, Any]) -> None:
        self.election_id = election_id
        self.name = name


class ContestDefinition(Aggregate):
    """One contest of an election; immutable once created."""

    TOPIC = "rekap:Contest"

    class Created(Aggregate.Created):
        TOPIC = "rekap:Contest.Created"

    @staticmethod
    def create_id(election_id: str, contest_id: str) -> UUID:
        return aggregate_id("contest", election_id, contest_id)

    @event("Defined", topic="rekap:Contest.Defined")
    def __init__(
        self, election_id: str, contest_id: str, contest: dict[str, Any], actor: dict[str, Any]
    ) -> None:
        self.election_id = election_id
        self.contest_id = contest_id
        self.contest = contest


class RegionBatch(Aggregate):
    """One kecamatan of an election's region tree, with its desa and TPS (and their DPT)."""

    TOPIC = "rekap:RegionBatch"

    class Created(Aggregate.Created):
        TOPIC = "rekap:RegionBatch.Created"

    @staticmethod
    def create_id(election_id: str, key: str) -> UUID:
        return aggregate_id("regions", election_id, key)

    @event("Loaded", topic="rekap:RegionBatch.Loaded")
    def __init__(
        self,
        election_id: str,
        key: str,
        regions: list[list[Any]],
        tps: list[list[Any]],
        digest: str,
        actor: dict[str, Any],
    ) -> None:
        self.election_id = election_id
        self.key = key
        self.regions = regions
        self.tps = tps
        self.digest = digest
