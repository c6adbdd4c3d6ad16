"""Reference data that commands check against: contests and the region tree, cached per process.

Both are immutable once recorded, so a cache can never be stale; only misses go to the store.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from domain.codes import Tier, tier_of
from domain.contests import Contest
from domain.election import ContestDefinition, Election, RegionBatch
from domain.errors import NotFound
from service.store.application import Rekap

ContestLookup = Callable[[str, str], Contest]  # (election, contest) -> Contest, or NotFound


class Reference:
    def __init__(self, app: Rekap, cache_size: int = 2048) -> None:
        self.app = app
        # Provinces and kab/kota are known from the region read model (set at bootstrap).
        self.region_name_in_read_model: Callable[[str, str], str | None] | None = None
        self._batch = lru_cache(maxsize=cache_size)(self._load_batch)
        self._contests: dict[tuple[str, str], Contest] = {}
        self._elections: set[str] = set()

    def require_election(self, election_id: str) -> None:
        if election_id in self._elections:
            return
        if Election.create_id(election_id) not in self.app.repository:
            raise NotFound(f"no election '{election_id}'")
        self._elections.add(election_id)

    def contest(self, election_id: str, contest_id: str) -> Contest:
        key = (election_id, contest_id)
        if key not in self._contests:
            self.require_election(election_id)
            found = self.app.get_or_none(ContestDefinition.create_id(election_id, contest_id))
            if found is None:
                raise NotFound(f"no contest '{contest_id}' in election '{election_id}'")
            self._contests[key] = Contest.from_dict(election_id, found.contest)
        return self._contests[key]

    def _load_batch(self, election_id: str, kecamatan: str) -> dict[str, Any] | None:
        batch = self.app.get_or_none(RegionBatch.create_id(election_id, kecamatan))
        if batch is None:
            return None
        return {
            "tps": dict((code, dpt) for code, dpt in batch.tps),
            "regions": dict((code, name) for code, name in batch.regions),
        }

    def tps_dpt(self, election_id: str, tps: str) -> int:
        """The TPS's registered voters, or NotFound if the election has no such TPS."""
        if tier_of(tps) is not Tier.TPS:
            raise NotFound(f"'{tps}' is not a TPS code")
        batch = self._batch(election_id, tps[:6])
        if batch is None or tps not in batch["tps"]:
            raise NotFound(f"no TPS {tps} in election '{election_id}'")
        return batch["tps"][tps]

    def region_exists(self, election_id: str, code: str) -> bool:
        if tier_of(code) is Tier.TPS:
            batch = self._batch(election_id, code[:6])
            return batch is not None and code in batch["tps"]
        return self.region_name(election_id, code) is not None

    def region_name(self, election_id: str, code: str) -> str | None:
        """The region's name in the election's tree; None when the tree does not hold it."""
        if tier_of(code) is Tier.NASIONAL:
            return "INDONESIA"
        if tier_of(code) in (Tier.PROVINSI, Tier.KABKOTA):
            lookup = self.region_name_in_read_model
            return lookup(election_id, code) if lookup is not None else None
        batch = self._batch(election_id, code[:6])
        return None if batch is None else batch["regions"].get(code)
