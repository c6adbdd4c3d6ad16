"""The read side of what follows a contest's top plenary: the state of its result (certified,
disputed, determined), the dispute window, the disputes with their rulings, and the
determination (penetapan)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from domain.contests import Contest
from domain.determination import window_closes_at
from domain.errors import NotFound
from domain.plenary import PlenaryStatus
from service.store.db import Database, Tx


class DisputeQueries:
    def __init__(self, db: Database, prefix: str = "") -> None:
        self.db = db
        self.p = prefix

    def result(self, tx: Tx, contest: Contest) -> str | None:
        """`determined`, `disputed` (a dispute awaits its ruling), `certified` (the top plenary
        certified), or None (not certified: nothing to determine yet)."""
        key = (contest.election_id, contest.contest_id)
        if tx.scalar(
            f"SELECT COUNT(*) FROM {self.p}determination WHERE election_id = %s "
            "AND contest_id = %s",
            key,
        ):
            return "determined"
        if tx.scalar(
            f"SELECT COUNT(*) FROM {self.p}dispute WHERE election_id = %s AND contest_id = %s "
            "AND outcome IS NULL",
            key,
        ):
            return "disputed"
        status = tx.scalar(
            f"SELECT status FROM {self.p}plenary WHERE election_id = %s AND contest_id = %s "
            "AND code = %s",
            (*key, contest.region),
        )
        return "certified" if status == PlenaryStatus.CERTIFIED.value else None

    def document(self, contest: Contest) -> dict[str, Any]:
        """The result's state, its dispute window (while the top plenary is certified), every
        dispute with its ruling, and the determination once recorded."""
        key = (contest.election_id, contest.contest_id)
        with self.db.transaction(write=False) as tx:
            disputes = [
                _dispute(r)
                for r in tx.query(
                    f"SELECT * FROM {self.p}dispute WHERE election_id = %s AND contest_id = %s "
                    "ORDER BY filed_at, dispute_id",
                    key,
                )
            ]
            determination = self._determination(tx, contest)
            return {
                "election": contest.election_id,
                "contest": contest.contest_id,
                "region": contest.region,
                "result": self.result(tx, contest),
                "window": self._window(tx, contest),
                "disputes": disputes,
                "determination": determination,
                "position": int(
                    tx.scalar("SELECT position FROM projection_position WHERE name = 'dispute'")
                    or 0
                ),
            }

    def dispute(self, contest: Contest, dispute_id: str) -> dict[str, Any]:
        rows = self.db.query(
            f"SELECT * FROM {self.p}dispute WHERE election_id = %s AND contest_id = %s "
            "AND dispute_id = %s",
            (contest.election_id, contest.contest_id, dispute_id),
        )
        if not rows:
            raise NotFound(f"no dispute {dispute_id} over {contest.contest_id}")
        return _dispute(rows[0])

    def determination(self, contest: Contest) -> dict[str, Any]:
        with self.db.transaction(write=False) as tx:
            found = self._determination(tx, contest)
        if found is None:
            raise NotFound(f"the result of {contest.contest_id} is not determined yet")
        return found

    def _determination(self, tx: Tx, contest: Contest) -> dict[str, Any] | None:
        document = tx.scalar(
            f"SELECT document FROM {self.p}determination WHERE election_id = %s "
            "AND contest_id = %s",
            (contest.election_id, contest.contest_id),
        )
        if document is None:
            return None
        return {
            "election": contest.election_id,
            "contest": contest.contest_id,
            **json.loads(document),
        }

    def _window(self, tx: Tx, contest: Contest) -> dict[str, Any] | None:
        """From the top plenary's current certificate; None while it is not certified."""
        rows = tx.query(
            f"SELECT c.number, c.certified_at FROM {self.p}plenary p JOIN "
            f"{self.p}plenary_certificate c ON c.election_id = p.election_id "
            "AND c.contest_id = p.contest_id AND c.code = p.code AND c.number = p.certificate "
            "WHERE p.election_id = %s AND p.contest_id = %s AND p.code = %s AND p.status = %s",
            (
                contest.election_id,
                contest.contest_id,
                contest.region,
                PlenaryStatus.CERTIFIED.value,
            ),
        )
        if not rows:
            return None
        opens = datetime.fromisoformat(rows[0]["certified_at"])
        return {
            "hours": contest.dispute_window_hours,
            "certificate": rows[0]["number"],
            "opens_at": opens.isoformat(),
            "closes_at": window_closes_at(opens, contest.dispute_window_hours).isoformat(),
        }


def _dispute(row: dict[str, Any]) -> dict[str, Any]:
    ruling = json.loads(row["ruling"]) if row["ruling"] else None
    return {
        "dispute_id": row["dispute_id"],
        "ref": row["ref"],
        "detail": row["detail"],
        "certificate": row["certificate"],
        "status": "open" if ruling is None else "ruled",
        "filed_at": row["filed_at"],
        "filed_by": json.loads(row["filed_by"]),
        "ruling": None if ruling is None else {**ruling, "at": row["ruled_at"]},
        "position": row["position"],
    }
