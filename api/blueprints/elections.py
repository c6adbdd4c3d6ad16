"""Elections, their contests and their region tree: set up by an admin, read by anyone."""

from __future__ import annotations

from typing import Any

from api.auth import current_actor, public, requires
from api.http import Blueprint, await_position, body_limit, problems, public_read, services
from api.schemas import (
    ContestCreatedSchema,
    ElectionCreatedSchema,
    ElectionListSchema,
    ElectionSchema,
    RegionsLoadedSchema,
    WaitForArgs,
)
from domain.access import Role
from domain.commands import CreateElection
from domain.contests import Contest
from service.input.elections import ContestSchema, ElectionCreateSchema, RegionTreeSchema
from service.usecases.elections import create_election, define_contest, load_regions

blp = Blueprint("elections", __name__, url_prefix="/api/v1", description="Elections")
REGION_TREE_BODY = 64 * 1024 * 1024  # a province's regions and TPS in one request
CONTEST_BODY = 16 * 1024 * 1024  # the DPR: 84 districts and their 9,917 candidates


@blp.route("/elections", methods=["POST"])
@requires(Role.ADMIN)
@blp.arguments(ElectionCreateSchema)
@blp.response(201, ElectionCreatedSchema)
@blp.alt_response(200, schema=ElectionCreatedSchema, description="it exists already, the same")
@problems(blp, 400, 409, 413, 415, 422, auth=True)
def create(command: CreateElection) -> Any:
    """Create an election (again with the same name: nothing changes)."""
    outcome = create_election(services().setup, current_actor(), command)
    document = {
        "id": command.election_id,
        "name": command.name,
        "created": outcome.created,
        "position": outcome.position,
    }
    return document, 201 if outcome.created else 200


@blp.route("/elections", methods=["GET"])
@public
@blp.arguments(WaitForArgs, location="query", as_kwargs=True)
@blp.response(200, ElectionListSchema)
@problems(blp, 400, 422, 503)
def list_elections(wait_for: int | None = None) -> Any:
    """Every election."""
    await_position(wait_for)
    return public_read({"elections": services().queries.elections()})


@blp.route("/elections/<eid>", methods=["GET"])
@public
@blp.arguments(WaitForArgs, location="query", as_kwargs=True)
@blp.response(200, ElectionSchema)
@problems(blp, 400, 404, 422, 503)
def election(eid: str, wait_for: int | None = None) -> Any:
    """An election with its contests."""
    await_position(wait_for)
    return public_read(services().queries.election(eid))


@blp.route("/elections/<eid>/contests", methods=["POST"])
@body_limit(CONTEST_BODY)
@requires(Role.ADMIN)
@blp.arguments(ContestSchema)
@blp.response(201, ContestCreatedSchema)
@blp.alt_response(200, schema=ContestCreatedSchema, description="it exists already, the same")
@problems(blp, 400, 404, 409, 413, 415, 422, auth=True)
def create_contest(contest: Contest, eid: str) -> Any:
    """Define a contest of the election: its kind, region, winner rule and candidates."""
    contest, outcome = define_contest(services().setup, current_actor(), eid, contest)
    document = {
        "contest": contest.to_dict(),
        "created": outcome.created,
        "position": outcome.position,
    }
    return document, 201 if outcome.created else 200


@blp.route("/elections/<eid>/regions", methods=["PUT"])
@body_limit(REGION_TREE_BODY)
@requires(Role.ADMIN)
@blp.arguments(RegionTreeSchema)
@blp.response(200, RegionsLoadedSchema)
@problems(blp, 400, 404, 409, 413, 415, 422, auth=True)
def put_regions(body: dict[str, Any], eid: str) -> Any:
    """Load the region tree and each TPS's DPT; loading the same tree again changes nothing."""
    summary = load_regions(services().setup, current_actor(), eid, [body])
    return summary.to_dict()
