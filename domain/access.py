"""Who may do what, where (api.md "Identity"). One home for every access rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from domain.codes import NATION, TIER_ORDER, Tier, is_within, normalise, tier_of
from domain.errors import Forbidden, InvalidInput


class Role(StrEnum):
    ADMIN = "admin"
    KPPS = "kpps"
    OPERATOR = "operator"
    PPK = "ppk"
    KPU_KABKOTA = "kpu_kabkota"
    KPU_PROVINSI = "kpu_provinsi"
    KPU_RI = "kpu_ri"
    SAKSI = "saksi"
    BAWASLU = "bawaslu"
    COURT = "court"


# The tier a role's scope must be, where the role has one at a fixed tier.
SCOPE_TIER: dict[Role, Tier] = {
    Role.KPPS: Tier.TPS,
    Role.OPERATOR: Tier.KABKOTA,
    Role.PPK: Tier.KECAMATAN,
    Role.KPU_KABKOTA: Tier.KABKOTA,
    Role.KPU_PROVINSI: Tier.PROVINSI,
    Role.KPU_RI: Tier.NASIONAL,
}
PLENARY_ROLE: dict[Tier, Role] = {
    Tier.KECAMATAN: Role.PPK,
    Tier.KABKOTA: Role.KPU_KABKOTA,
    Tier.PROVINSI: Role.KPU_PROVINSI,
    Tier.NASIONAL: Role.KPU_RI,
}
UNSCOPED = {Role.ADMIN, Role.COURT}
# What each role does, and the scope its token names (for people: `rekap token create --help`).
DUTIES: dict[Role, str] = {
    Role.ADMIN: "no scope: sets up elections, contests and regions",
    Role.KPPS: "--scope TPS (13 digits): submits and corrects that TPS's results",
    Role.OPERATOR: "--scope KAB/KOTA (4 digits): submits and corrects its TPS (bulk imports)",
    Role.PPK: "--scope KECAMATAN (6 digits): runs its plenaries",
    Role.KPU_KABKOTA: "--scope KAB/KOTA: runs its plenaries, reopens tiers below it",
    Role.KPU_PROVINSI: "--scope PROVINCE (2 digits): runs its plenaries, reopens tiers below",
    Role.KPU_RI: "no scope (the nation): runs the national plenaries, reopens any tier",
    Role.SAKSI: "--scope REGION --contest ID --candidate N: objects within its mandate",
    Role.BAWASLU: "--scope REGION: objects and records recommendations there",
    Role.COURT: "no scope: records disputes, rulings and court orders (re-vote, re-count, "
    "re-recap) anywhere",
}


@dataclass(frozen=True)
class Actor:
    """Who acts: recorded on every event."""

    id: str
    role: Role
    scope: str | None = None
    contest: str | None = None
    candidate: int | None = None
    name: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    # Where a step came from when it was done elsewhere (an offline kecamatan node) and replayed
    # here: the node, the step, its original time, and who pushed it.
    origin: dict[str, Any] | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"id": self.id, "role": self.role.value}
        if self.name:
            doc["name"] = self.name
        if self.scope is not None:
            doc["scope"] = self.scope
        if self.contest is not None:
            doc["contest"] = self.contest
            doc["candidate"] = self.candidate
        if self.origin is not None:
            doc["origin"] = self.origin
        return doc


SYSTEM = Actor(id="system", role=Role.ADMIN, name="rekap command line")


def make_actor(
    actor_id: str,
    role: str,
    scope: str | None = None,
    contest: str | None = None,
    candidate: int | None = None,
    name: str = "",
) -> Actor:
    """An actor whose scope fits its role, or InvalidInput saying why not."""
    try:
        the_role = Role(role)
    except ValueError:
        raise InvalidInput(f"unknown role '{role}': one of {', '.join(Role)}") from None
    if the_role in UNSCOPED:
        if scope not in (None, ""):
            raise InvalidInput(f"role {the_role} has no scope")
        return Actor(actor_id, the_role, name=name)
    if the_role is Role.KPU_RI and scope in (None, ""):
        scope = NATION
    if scope in (None, ""):
        raise InvalidInput(f"role {the_role} needs --scope (a region or TPS code)")
    code = normalise(scope)
    wanted = SCOPE_TIER.get(the_role)
    if wanted is not None and tier_of(code) is not wanted:
        raise InvalidInput(f"role {the_role} is scoped to a {wanted.value}, not '{scope}'")
    if the_role is Role.SAKSI:
        if not contest or candidate is None:
            raise InvalidInput("a saksi token needs --contest and --candidate (its mandate)")
        return Actor(actor_id, the_role, code, contest, candidate, name)
    return Actor(actor_id, the_role, code, name=name)


def require_admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise Forbidden("only an admin sets up elections, contests and regions")


def require_result_writer(actor: Actor, tps: str) -> None:
    """KPPS of that TPS, or an operator of its kab/kota."""
    if actor.role is Role.KPPS and actor.scope == tps:
        return
    if actor.role is Role.OPERATOR and actor.scope and is_within(tps, actor.scope):
        return
    if actor.role is Role.ADMIN and actor.id == SYSTEM.id:
        return  # the command line (imports, the demo)
    raise Forbidden(f"{actor.role} {actor.scope or ''} may not write the results of TPS {tps}")


def require_plenary_official(actor: Actor, tier: Tier, region: str) -> None:
    """Only the official of that tier and region runs its plenary."""
    role = PLENARY_ROLE[tier]
    if actor.role is role and actor.scope == region:
        return
    raise Forbidden(f"only {role} of {region} runs this plenary")


def require_reopener(actor: Actor, tier: Tier, region: str) -> None:
    """That tier's authority or one above it in the same region, or a court."""
    if actor.role is Role.COURT:
        return
    actor_tier = next((t for t, r in PLENARY_ROLE.items() if r is actor.role), None)
    if (
        actor_tier is not None
        and actor.scope is not None
        and TIER_ORDER.index(actor_tier) <= TIER_ORDER.index(tier)
        and is_within(region, actor.scope)
    ):
        return
    raise Forbidden(
        f"{actor.role} {actor.scope or ''} may not reopen the {tier} plenary of {region}"
    )


def require_court(actor: Actor) -> None:
    """Disputes over a contest's result, and their rulings, are the Constitutional Court's."""
    if actor.role is not Role.COURT:
        raise Forbidden(f"{actor.role} may not record a dispute or its ruling: only a court does")


def require_objector(actor: Actor, contest: str, region: str) -> None:
    """Witnesses within their mandate (region, contest), supervisors within their region."""
    if actor.role is Role.BAWASLU and actor.scope and is_within(region, actor.scope):
        return
    if (
        actor.role is Role.SAKSI
        and actor.scope
        and is_within(region, actor.scope)
        and actor.contest == contest
    ):
        return
    raise Forbidden(
        f"{actor.role} {actor.scope or ''} has no mandate to object in {region} for {contest}"
    )
