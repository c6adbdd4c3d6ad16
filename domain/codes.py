"""Region codes (KPU style): provinsi 2 digits, kab/kota 4, kecamatan 6, desa 10, TPS 13.

The nation is the code "0" (as in KPU's own public data). Dotted input (`31.71.01.1001`) is
accepted everywhere and normalised to the undotted form.
"""

from __future__ import annotations

from enum import StrEnum
from itertools import pairwise

from domain.errors import InvalidInput

NATION = "0"
OVERSEAS = "99"  # LUAR NEGERI: the overseas units, a "province" of the data, not of Indonesia


class Tier(StrEnum):
    NASIONAL = "nasional"
    PROVINSI = "provinsi"
    KABKOTA = "kabkota"
    KECAMATAN = "kecamatan"
    DESA = "desa"
    TPS = "tps"


TIER_BY_LENGTH = {2: Tier.PROVINSI, 4: Tier.KABKOTA, 6: Tier.KECAMATAN, 10: Tier.DESA, 13: Tier.TPS}
LENGTH_BY_TIER = {tier: length for length, tier in TIER_BY_LENGTH.items()}
TIER_ORDER = [Tier.NASIONAL, Tier.PROVINSI, Tier.KABKOTA, Tier.KECAMATAN, Tier.DESA, Tier.TPS]
# How much of a code names its parent (0: the parent is the nation).
_PARENT_LENGTH = {tier: LENGTH_BY_TIER.get(parent, 0) for parent, tier in pairwise(TIER_ORDER)}
PLENARY_TIERS = (Tier.KECAMATAN, Tier.KABKOTA, Tier.PROVINSI, Tier.NASIONAL)


def normalise(code: object) -> str:
    """The undotted code, or InvalidInput if it cannot be a region or TPS code."""
    if not isinstance(code, str):
        raise InvalidInput(f"a region code must be a string, not {type(code).__name__}")
    plain = code.strip().replace(".", "")
    if plain == NATION:
        return NATION
    if not plain.isdigit() or not plain.isascii() or len(plain) not in TIER_BY_LENGTH:
        raise InvalidInput(
            f"'{code}' is not a region code (2, 4, 6, 10 or 13 digits, dotted or not, or 0)"
        )
    return plain


def tps_code(code: object) -> str:
    """The undotted code of a TPS, or InvalidInput if it is not one (a region code is not)."""
    plain = normalise(code)
    if len(plain) != LENGTH_BY_TIER[Tier.TPS]:
        raise InvalidInput(f"'{code}' is not a TPS code (13 digits: desa code and TPS number)")
    return plain


def tier_of(code: str) -> Tier:
    if code == NATION:
        return Tier.NASIONAL
    return TIER_BY_LENGTH[len(code)]


def parent_of(code: str) -> str | None:
    """The code of the enclosing region, None for the nation."""
    if code == NATION:
        return None
    length = _PARENT_LENGTH[tier_of(code)]
    return code[:length] if length else NATION


def ancestors(code: str) -> list[str]:
    """Every enclosing region, nearest first, ending with the nation."""
    chain = []
    parent = parent_of(code)
    while parent is not None:
        chain.append(parent)
        parent = parent_of(parent)
    return chain


def is_within(code: str, region: str) -> bool:
    """True if `code` is `region` or lies inside it."""
    return region == NATION or code.startswith(region)


def chain_up_to(code: str, top: str) -> list[str]:
    """`code` and its ancestors up to and including `top` (which must enclose it)."""
    chain = [code]
    for parent in ancestors(code):
        if not is_within(parent, top):
            break
        chain.append(parent)
    return chain


def dotted(code: str) -> str:
    """The dotted form used on paper: 31.71.01.1001.001."""
    if code == NATION:
        return code
    parts, start = [], 0
    for length in (2, 4, 6, 10, 13):
        if length > len(code):
            break
        parts.append(code[start:length])
        start = length
    return ".".join(parts)
