"""What every plenary command shares: the context injected at bootstrap, the plenary a command
addresses, and how a command loads and saves the aggregates it changes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import IntegrityError

from domain.access import Actor, require_plenary_official
from domain.codes import Tier, normalise
from domain.contests import Contest
from domain.errors import Conflict, NotFound
from domain.plenary import Plenary, plenary_tier
from domain.tps_result import TpsResult
from service.read.projections.runner import ConcurrentRunnerError, ProjectionRunner, ProjectionStuck
from service.store.application import Rekap
from service.store.db import Database
from service.store.errors import is_unreachable
from service.store.reference import Reference

log = logging.getLogger("rekap.plenary")

SYNC_TIMEOUT = 30.0
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class PlenaryContext:
    """What the plenary use cases need, injected once at bootstrap."""

    app: Rekap
    db: Database
    ref: Reference
    runner: ProjectionRunner
    prefix: str = ""  # of the recap tables the figures are read from
    clock: Clock = utc_now  # "now", against which a dispute window has passed (tests move it)
    evidence_exists: Callable[[str], bool] = lambda digest: True


@dataclass(frozen=True)
class PlenaryOutcome:
    election_id: str
    contest_id: str
    code: str
    tier: str
    status: str
    version: int
    position: int
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "election": self.election_id,
            "contest": self.contest_id,
            "plenary": self.code,
            "tier": self.tier,
            "status": self.status,
            "version": self.version,
            "position": self.position,
            **self.extra,
        }


@dataclass(frozen=True)
class Target:
    contest: Contest
    code: str
    tier: Tier


def locate(ctx: PlenaryContext, election_id: str, contest_id: str, code: str) -> Target:
    """The plenary a command addresses: its contest, region and tier (404 for no such region)."""
    contest = ctx.ref.contest(election_id, contest_id)
    region = normalise(code)
    tier = plenary_tier(contest, region)
    if not ctx.ref.region_exists(election_id, region):
        raise NotFound(f"no region {region} in election '{election_id}'")
    return Target(contest, region, tier)


Access = Callable[[Actor, Target], None]


def official(actor: Actor, t: Target) -> None:
    """Only the official of the plenary's tier and region runs it."""
    require_plenary_official(actor, t.tier, t.code)


def addressed(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    access: Access = official,
) -> tuple[Target, Plenary]:
    """The plenary a command addresses, once `access` lets its actor act on it, as recorded."""
    t = locate(ctx, election_id, contest_id, code)
    access(actor, t)
    return t, load_plenary(ctx, t)


def region_name_in_read_model(ctx: PlenaryContext, election_id: str, code: str) -> str | None:
    """The name of `code` in the election's region tree (None: not in it), as the read model
    has it once it has caught up with the log (provinces and kab/kota have no aggregate)."""
    sql = f"SELECT name FROM {ctx.prefix}region WHERE election_id = %s AND code = %s"
    name = ctx.db.scalar(sql, (election_id, code))
    if name is None:
        sync_read_models(ctx)
        name = ctx.db.scalar(sql, (election_id, code))
    return name


def load_plenary(ctx: PlenaryContext, t: Target) -> Plenary:
    plenary = ctx.app.get_or_none(
        Plenary.create_id(t.contest.election_id, t.contest.contest_id, t.code)
    )
    if plenary is None:
        raise Conflict(f"the {t.tier} plenary of {t.code} is not open")
    return plenary


def save_plenary(
    ctx: PlenaryContext, t: Target, plenary: Plenary, *others: Any, **extra: Any
) -> PlenaryOutcome:
    """Save the plenary with the aggregates its command changed, in one call, so that a command
    that read an older version of any of them records nothing (409)."""
    try:
        position = ctx.app.save_and_position(plenary, *others)
    except IntegrityError:
        raise Conflict(
            f"the {t.tier} plenary of {t.code} (or a result it touches) changed meanwhile; "
            "nothing was recorded: read it again and retry"
        ) from None
    return PlenaryOutcome(
        t.contest.election_id,
        t.contest.contest_id,
        t.code,
        t.tier.value,
        plenary.status.value,
        plenary.version,
        position,
        {k: v for k, v in extra.items() if v is not None},
    )


def sync_read_models(ctx: PlenaryContext) -> None:
    """Bring the read models up to the log's head as it is now (read-your-writes for commands):
    applied here when no projection process runs (tests, a node), else waited for."""
    head = ctx.runner.head()
    if ctx.runner.position() >= head:
        return
    try:
        ctx.runner.catch_up(timeout=SYNC_TIMEOUT)
    except ProjectionStuck as exc:
        raise Conflict(f"the recap cannot catch up with the log: {exc}") from None
    except ConcurrentRunnerError as exc:  # a runner without a lease got the batch first
        log.info("catching up in a command deferred to another runner: %s", exc)
    except Exception as exc:
        if is_unreachable(exc):
            raise  # 503 and Retry-After
        log.exception("the read models cannot catch up with the log")
        raise Conflict(
            f"the recap cannot catch up with the log ({exc.__class__.__name__}); see the log"
        ) from None
    if not ctx.runner.wait_for(head, timeout=SYNC_TIMEOUT):
        raise Conflict("the recap is still catching up with the log; retry in a moment")


def child_plenaries(ctx: PlenaryContext, t: Target) -> dict[str, Plenary | None]:
    """The plenaries of the regions right under this one (None where one has not opened)."""
    if t.tier is Tier.KECAMATAN:
        return {}
    rows = ctx.db.query(
        f"SELECT code FROM {ctx.prefix}region WHERE election_id = %s AND parent = %s ORDER BY code",
        (t.contest.election_id, t.code),
    )
    eid, cid = t.contest.election_id, t.contest.contest_id
    return {
        r["code"]: ctx.app.get_or_none(Plenary.create_id(eid, cid, r["code"]))
        for r in rows
        if t.contest.covers(r["code"])
    }


def tps_result(ctx: PlenaryContext, t: Target, tps: str) -> TpsResult:
    result = ctx.app.get_or_none(
        TpsResult.create_id(t.contest.election_id, t.contest.contest_id, tps)
    )
    if result is None:
        raise NotFound(f"TPS {tps} has no result in {t.contest.contest_id}")
    return result
