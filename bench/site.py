"""The public site's pages against the API's JSON for the same region, at every tier.

Both go through the same Flask application in process (the test client: no sockets, so the
figures are the server's own work), with the same read side: the page is the API's document
plus what a person needs beside it (names up the tree, the plenary's objections and
certificates, a TPS's leaf hashes) rendered to HTML. The target is p99 under 50 ms a page.
"""

from __future__ import annotations

import time
from typing import Any

from api.app import create_app
from bench import data
from bench.readside import TIERS, percentiles
from service.bootstrap import Services


def _timed(client: Any, url: str, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    return samples


def page_reads(
    services: Services,
    codes: dict[str, list[str]],
    tps: list[str],
    contest_id: str,
    per_code: int,
) -> dict[str, Any]:
    """p50/p99 of each tier's page and of the API document it shows, and their ratio."""
    client = create_app(services, {"TESTING": True}).test_client()
    site = f"/pemilu/{data.ELECTION_ID}/{contest_id}"
    api = f"/api/v1/elections/{data.ELECTION_ID}/contests/{contest_id}"
    targets = [(tier, f"wilayah/{c}", f"regions/{c}") for tier, _ in TIERS for c in codes[tier]]
    targets += [("tps", f"tps/{t}", f"tps/{t}") for t in tps]
    pages: dict[str, list[float]] = {}
    documents: dict[str, list[float]] = {}
    for tier, page, document in targets:
        client.get(f"{site}/{page}")  # warm: templates compiled, caches filled
        client.get(f"{api}/{document}")
        pages.setdefault(tier, []).extend(_timed(client, f"{site}/{page}", per_code))
        documents.setdefault(tier, []).extend(_timed(client, f"{api}/{document}", per_code))
    found: dict[str, Any] = {}
    for tier, samples in pages.items():
        page, document = percentiles(samples), percentiles(documents[tier])
        found[tier] = {
            "page": page,
            "api": document,
            "ratio_p50": round(page["p50_ms"] / document["p50_ms"], 2),
        }
    names = [n for n in ("JAYA", "SARI", "BARU") for _ in range(per_code)]
    found["search_by_name"] = percentiles(
        [s for n in names for s in _timed(client, f"/cari?q={n}", 1)]
    )
    return found
