"""Disputes at the Court and the determination of each contest's result, as read models.

They are few (a handful per contest), so each event is written as it comes, inside the
runner's transaction. Everything here derives from the Dispute and Determination events alone,
so a replay of the log up to any position gives them as they stood then.
"""

from __future__ import annotations

from typing import Any

from domain.determination import Determination
from domain.disputes import Dispute
from service.read.projections.base import CONTEST_KEY, LoggedEvent, TablesOfKeys, compact_json
from service.store.db import Tx

DISPUTE_EVENTS = (
    Dispute.Filed,  # type: ignore[attr-defined]
    Dispute.Ruled,
    Determination.Recorded,  # type: ignore[attr-defined]
)
DISPUTE_TOPICS = frozenset(cls.TOPIC for cls in DISPUTE_EVENTS)


class DisputeProjection(TablesOfKeys):
    name = "dispute"

    def __init__(self, prefix: str = "") -> None:
        self.p = prefix

    def scratch(self, prefix: str) -> DisputeProjection:
        """The same projection into tables named with `prefix` (a replay to compare with)."""
        return DisputeProjection(prefix)

    def primary_keys(self) -> list[tuple[str, list[str]]]:
        """Each table with its primary key, for row-by-row comparisons (rekap audit verify)."""
        return [
            (f"{self.p}dispute", ["election_id", "contest_id", "dispute_id"]),
            (f"{self.p}determination", ["election_id", "contest_id"]),
        ]

    def create_statements(self) -> list[str]:
        p = self.p
        key = CONTEST_KEY
        return [
            f"CREATE TABLE IF NOT EXISTS {p}dispute ({key}, dispute_id TEXT NOT NULL, "
            "ref TEXT NOT NULL, detail TEXT NOT NULL, certificate INTEGER NOT NULL, "
            "filed_at TEXT NOT NULL, filed_by TEXT NOT NULL, outcome TEXT, ruling TEXT, "
            "ruled_at TEXT, position BIGINT NOT NULL, "
            "PRIMARY KEY (election_id, contest_id, dispute_id))",
            f"CREATE TABLE IF NOT EXISTS {p}determination ({key}, document TEXT NOT NULL, "
            "determined_at TEXT NOT NULL, position BIGINT NOT NULL, "
            "PRIMARY KEY (election_id, contest_id))",
        ]

    def apply(self, tx: Tx, events: list[LoggedEvent]) -> None:
        for logged in events:
            if logged.topic in DISPUTE_TOPICS:
                self._apply(tx, logged.event, logged.position)

    def _apply(self, tx: Tx, event: Any, position: int) -> None:
        at = event.timestamp.isoformat()
        if isinstance(event, Dispute.Filed):  # type: ignore[attr-defined]
            tx.execute(
                f"INSERT INTO {self.p}dispute (election_id, contest_id, dispute_id, ref, detail, "
                "certificate, filed_at, filed_by, outcome, ruling, ruled_at, position) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, NULL, NULL, NULL, %s)",
                (
                    event.election_id,
                    event.contest_id,
                    str(event.originator_id),
                    event.ref,
                    event.detail,
                    event.certificate,
                    at,
                    compact_json(event.actor),
                    position,
                ),
            )
        elif isinstance(event, Dispute.Ruled):
            ruling = {
                "outcome": event.outcome,
                "plenaries": event.plenaries,
                "tps": event.tps,
                "detail": event.detail,
                "by": event.actor,
            }
            tx.execute(
                f"UPDATE {self.p}dispute SET outcome = %s, ruling = %s, ruled_at = %s, "
                "position = %s WHERE election_id = %s AND contest_id = %s AND dispute_id = %s",
                (
                    event.outcome,
                    compact_json(ruling),
                    at,
                    position,
                    event.election_id,
                    event.contest_id,
                    str(event.originator_id),
                ),
            )
        else:
            document = {
                "region": event.region,
                "tier": event.tier,
                "certificate": event.certificate,
                "window": event.window,
                "disputes": event.disputes,
                "result": event.result,
                "figures": event.figures,
                "signed_by": event.signed_by,
                "determined_by": event.actor,
                "determined_at": at,
                "position": position,
            }
            tx.execute(
                f"INSERT INTO {self.p}determination (election_id, contest_id, document, "
                "determined_at, position) VALUES (%s, %s, %s, %s, %s)",
                (event.election_id, event.contest_id, compact_json(document), at, position),
            )
