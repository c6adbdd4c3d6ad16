"""Use cases of setting up an election: the election, its contests, its region tree."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from domain.access import Actor, require_admin
from domain.commands import CreateElection
from domain.contests import Contest, contest_faults
from domain.election import ContestDefinition, Election, RegionBatch
from domain.errors import Conflict, FieldError, InvalidInput
from domain.legislative import legislative_faults
from domain.regions import RegionChunk, parse_region_tree
from service.store.application import Rekap
from service.store.reference import Reference

SAVE_BATCH = 200


@dataclass(frozen=True)
class Outcome:
    created: bool
    position: int


@dataclass(frozen=True)
class SetupContext:
    """What setting up an election needs, injected once at bootstrap."""

    app: Rekap
    ref: Reference
    # The desa of a region as the read model holds them (a legislative contest's districts
    # must cover them); set at bootstrap.
    desa_under: Callable[[str, str], list[str]] | None = None


def create_election(ctx: SetupContext, actor: Actor, command: CreateElection) -> Outcome:
    require_admin(actor)
    app = ctx.app
    existing = app.get_or_none(Election.create_id(command.election_id))
    if existing is not None:
        if existing.name != command.name:
            raise Conflict(
                f"election '{command.election_id}' exists with the name '{existing.name}'"
            )
        return Outcome(False, app.recorder.max_notification_id() or 0)
    election = Election(election_id=command.election_id, name=command.name, actor=actor.to_dict())
    return Outcome(True, app.save_and_position(election))


def define_contest(
    ctx: SetupContext, actor: Actor, election_id: str, contest: Contest
) -> tuple[Contest, Outcome]:
    """Define a contest of the election (again the same: nothing changes)."""
    require_admin(actor)
    app, ref = ctx.app, ctx.ref
    ref.require_election(election_id)
    contest = replace(contest, election_id=election_id)
    faults = contest_faults(contest)
    if faults:
        raise InvalidInput("the contest is not valid", faults)
    region_name = ref.region_name(election_id, contest.region)
    if region_name is None:
        message = (
            f"region {contest.region} is not in the region tree of '{election_id}': load the "
            "regions first"
        )
        raise InvalidInput(message, [FieldError("region", message)])
    if contest.is_legislative:
        desa = ctx.desa_under(election_id, contest.region) if ctx.desa_under else []
        faults = legislative_faults(contest, desa)
        if faults:
            raise InvalidInput("the contest's districts are not valid", faults)
    if not contest.name:  # named as its forms name it: "Pemilihan Gubernur ... DKI JAKARTA"
        contest = replace(contest, name=f"{contest.kind.title} {region_name}")
    existing = app.get_or_none(ContestDefinition.create_id(election_id, contest.contest_id))
    if existing is not None:
        # Read back as a Contest: a definition recorded before a field existed has its default.
        if Contest.from_dict(election_id, existing.contest) != contest:
            raise Conflict(f"contest '{contest.contest_id}' exists with a different definition")
        return contest, Outcome(False, app.recorder.max_notification_id() or 0)
    definition = ContestDefinition(
        election_id=election_id,
        contest_id=contest.contest_id,
        contest=contest.to_dict(),
        actor=actor.to_dict(),
    )
    return contest, Outcome(True, app.save_and_position(definition))


@dataclass(frozen=True)
class LoadSummary:
    """What a load did; `regions` counts the kecamatan and desa it carried."""

    chunks: int
    loaded: int
    unchanged: int
    regions: int
    tps: int
    position: int

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def load_regions(
    ctx: SetupContext,
    actor: Actor,
    election_id: str,
    documents: Iterable[dict[str, Any]],
    progress: Callable[[int], None] | None = None,
) -> LoadSummary:
    """Load region-tree documents; a kecamatan already loaded the same way changes nothing."""
    require_admin(actor)
    app = ctx.app
    ctx.ref.require_election(election_id)
    counts = {"chunks": 0, "loaded": 0, "unchanged": 0, "regions": 0, "tps": 0}
    pending: list[RegionBatch] = []
    try:
        position = _load(app, actor, election_id, documents, counts, pending, progress)
    except (Conflict, InvalidInput):
        if pending:  # documents before the conflicting one were whole and valid: keep them
            app.save_and_position(*pending)
        raise
    if pending:
        position = app.save_and_position(*pending)
        counts["loaded"] += len(pending)
    return LoadSummary(position=position or (app.recorder.max_notification_id() or 0), **counts)


def _load(
    app: Rekap,
    actor: Actor,
    election_id: str,
    documents: Iterable[dict[str, Any]],
    counts: dict[str, int],
    pending: list[RegionBatch],
    progress: Callable[[int], None] | None,
) -> int:
    position = 0
    for document in documents:
        # Every chunk of a document is checked before any of it is saved: a document that
        # conflicts with what is recorded changes nothing.
        batches = []
        for chunk in parse_region_tree(document):
            counts["chunks"] += 1
            counts["regions"] += sum(1 for code, _ in chunk.regions if len(code) >= 6)
            counts["tps"] += len(chunk.tps)
            batch = _new_batch(app, actor, election_id, chunk)
            if batch is None:
                counts["unchanged"] += 1
            else:
                batches.append(batch)
        pending += batches
        if len(pending) >= SAVE_BATCH:
            position = app.save_and_position(*pending)
            counts["loaded"] += len(pending)
            pending.clear()
        if progress:
            progress(counts["tps"])
    return position


def _new_batch(
    app: Rekap, actor: Actor, election_id: str, chunk: RegionChunk
) -> RegionBatch | None:
    existing = app.get_or_none(RegionBatch.create_id(election_id, chunk.key))
    if existing is not None:
        if existing.digest != chunk.digest:
            raise Conflict(
                f"kecamatan {chunk.key} of '{election_id}' is already loaded with different "
                "regions or DPT; a loaded region tree is never changed"
            )
        return None
    return RegionBatch(
        election_id=election_id,
        key=chunk.key,
        regions=[list(r) for r in chunk.regions],
        tps=[list(t) for t in chunk.tps],
        digest=chunk.digest,
        actor=actor.to_dict(),
    )
