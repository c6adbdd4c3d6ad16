"""Deterministic aggregate ids: one aggregate per natural key, enforced by the event store."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

REKAP_NAMESPACE = uuid5(NAMESPACE_URL, "https://rekap.id/")


def aggregate_id(*key: str) -> UUID:
    return uuid5(REKAP_NAMESPACE, "/".join(key))
