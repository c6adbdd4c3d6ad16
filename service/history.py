"""The history of one TPS result, read from the event store itself (an audit read: replay)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.codes import is_within, normalise
from domain.errors import InvalidInput, NotFound
from domain.tps_result import TpsResult
from service.application import Rekap
from service.db import Database
from service.eventlog import events_table, position_column, stored_id
from service.reference import Reference

MAX_PAGE = 1000
BASE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic", "actor"}


@dataclass(frozen=True)
class HistoryPage:
    election_id: str
    contest_id: str
    tps: str
    events: list[dict[str, Any]]
    next_after: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "election": self.election_id,
            "contest": self.contest_id,
            "tps": self.tps,
            "events": self.events,
            "next_after": self.next_after,
        }


def tps_history(
    app: Rekap,
    db: Database,
    ref: Reference,
    election_id: str,
    contest_id: str,
    tps: str,
    *,
    after: int = 0,
    limit: int = 100,
) -> HistoryPage:
    """Events of one TPS result, oldest first, after version `after`; at most `limit`."""
    code = normalise(tps)
    contest = ref.contest(election_id, contest_id)
    if len(code) != 13 or not is_within(code, contest.region):
        raise NotFound(f"TPS {tps} is not part of contest {contest_id}")
    ref.tps_dpt(election_id, code)
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit is 1 to {MAX_PAGE}")
    if after < 0:
        raise InvalidInput("after is a version, 0 or more")
    result_id = TpsResult.create_id(election_id, contest_id, code)
    stored = app.recorder.select_events(result_id, gt=after, limit=limit + 1)
    page = list(stored[:limit])
    positions = _positions(db, result_id, [s.originator_version for s in page])
    events = []
    for record in page:
        event = app.mapper.to_domain_event(record)
        payload = {k: _plain(v) for k, v in vars(event).items() if k not in BASE_FIELDS}
        events.append(
            {
                "position": positions.get(record.originator_version, 0),
                "version": record.originator_version,
                "type": record.topic.removeprefix("rekap:"),
                "topic": record.topic,
                "time": event.timestamp.isoformat(),
                "actor": getattr(event, "actor", None),
                "payload": payload,
            }
        )
    next_after = page[-1].originator_version if len(stored) > limit else None
    return HistoryPage(election_id, contest_id, code, events, next_after)


def _positions(db: Database, originator_id: Any, versions: list[int]) -> dict[int, int]:
    if not versions:
        return {}
    rows = db.query(
        f"SELECT originator_version AS version, {position_column(db)} AS position "
        f"FROM {events_table(db)} WHERE originator_id = %s "
        "AND originator_version >= %s AND originator_version <= %s",
        (stored_id(db, originator_id), min(versions), max(versions)),
    )
    return {int(r["version"]): int(r["position"]) for r in rows}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
