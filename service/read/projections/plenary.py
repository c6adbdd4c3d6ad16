"""The plenaries as read models: state, minutes, certificates, objections, corrections.

Plenary events are few (tens per region) among hundreds of thousands of results, so a batch is
filtered first and the few plenary events are written one by one inside the runner's
transaction. Everything here derives from the Plenary events alone, so a replay of the log up to
any position gives the plenaries as they stood then.
"""

from __future__ import annotations

import json
from typing import Any

from domain.form import vote_count
from domain.plenary import Plenary, PlenaryStatus
from service.read.projections import plenary_reads
from service.read.projections.base import CONTEST_KEY, LoggedEvent, TablesOfKeys, compact_json
from service.store.db import Tx

PLENARY_EVENTS = (
    Plenary.Opened,  # type: ignore[attr-defined]
    Plenary.ObjectionRaised,
    Plenary.ObjectionResolved,
    Plenary.RecommendationRecorded,
    Plenary.RecommendationAnswered,
    Plenary.CorrectionRecorded,
    Plenary.RevoteRecorded,
    Plenary.AnomalyAccepted,
    Plenary.Certified,
    Plenary.Reopened,
    Plenary.BelowReopened,
    Plenary.ResultStepNoted,
    Plenary.ResultRead,
)
PLENARY_TOPICS = frozenset(cls.TOPIC for cls in PLENARY_EVENTS)
KINDS = {
    "Opened": "opened",
    "ObjectionRaised": "objection_raised",
    "ObjectionResolved": "objection_resolved",
    "RecommendationRecorded": "recommendation_recorded",
    "RecommendationAnswered": "recommendation_answered",
    "CorrectionRecorded": "correction_recorded",
    "RevoteRecorded": "revote_recorded",
    "AnomalyAccepted": "anomaly_accepted",
    "Certified": "certified",
    "Reopened": "reopened",
    "BelowReopened": "below_reopened",
    "ResultStepNoted": "result_step_noted",
    "ResultRead": "result_read",
}


class PlenaryProjection(TablesOfKeys):
    name = "plenary"

    def __init__(self, prefix: str = "") -> None:
        self.p = prefix
        # plenary id -> (election, contest, code): events after Opened carry only the id
        self._keys: dict[Any, tuple[str, str, str]] = {}

    def reset(self) -> None:
        self._keys.clear()

    def scratch(self, prefix: str) -> PlenaryProjection:
        """The same projection into tables named with `prefix` (a replay to compare with)."""
        return PlenaryProjection(prefix)

    def primary_keys(self) -> list[tuple[str, list[str]]]:
        """Each table with its primary key, for row-by-row comparisons (rekap audit verify)."""
        key = ["election_id", "contest_id"]
        return [
            (f"{self.p}plenary", [*key, "code"]),
            (f"{self.p}plenary_minutes", [*key, "code", "version"]),
            (f"{self.p}plenary_certificate", [*key, "code", "number"]),
            (f"{self.p}plenary_objection", [*key, "objection_id"]),
            (f"{self.p}plenary_correction", [*key, "code", "version"]),
            (f"{self.p}plenary_acceptance", [*key, "tps", "result_version", "code"]),
            (f"{self.p}{plenary_reads.TABLE}", [*key, "tps"]),
        ]

    def create_statements(self) -> list[str]:
        p = self.p
        key = CONTEST_KEY
        return [
            f"CREATE TABLE IF NOT EXISTS {p}plenary ({key}, code TEXT NOT NULL, "
            "plenary_id TEXT NOT NULL, tier TEXT NOT NULL, status TEXT NOT NULL, "
            "version INTEGER NOT NULL, opened_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
            "certificate INTEGER, position BIGINT NOT NULL, "
            "PRIMARY KEY (election_id, contest_id, code))",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {p}plenary_by_id ON {p}plenary (plenary_id)",
            f"CREATE TABLE IF NOT EXISTS {p}plenary_minutes ({key}, code TEXT NOT NULL, "
            "version INTEGER NOT NULL, kind TEXT NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL, "
            "detail TEXT NOT NULL, position BIGINT NOT NULL, "
            "PRIMARY KEY (election_id, contest_id, code, version))",
            f"CREATE TABLE IF NOT EXISTS {p}plenary_certificate ({key}, code TEXT NOT NULL, "
            "number INTEGER NOT NULL, document TEXT NOT NULL, certified_at TEXT NOT NULL, "
            "superseded_at TEXT, position BIGINT NOT NULL, "
            "PRIMARY KEY (election_id, contest_id, code, number))",
            f"CREATE TABLE IF NOT EXISTS {p}plenary_objection ({key}, objection_id TEXT NOT NULL, "
            "origin TEXT NOT NULL, holder TEXT, status TEXT NOT NULL, document TEXT NOT NULL, "
            "position BIGINT NOT NULL, PRIMARY KEY (election_id, contest_id, objection_id))",
            f"CREATE INDEX IF NOT EXISTS {p}plenary_objection_holder "
            f"ON {p}plenary_objection (election_id, contest_id, holder)",
            f"CREATE TABLE IF NOT EXISTS {p}plenary_correction ({key}, code TEXT NOT NULL, "
            "version INTEGER NOT NULL, tier TEXT NOT NULL, kind TEXT NOT NULL, tps TEXT NOT NULL, "
            "from_version INTEGER NOT NULL, to_version INTEGER NOT NULL, reason TEXT NOT NULL, "
            "objection_id TEXT, before TEXT NOT NULL, after TEXT NOT NULL, at TEXT NOT NULL, "
            "position BIGINT NOT NULL, PRIMARY KEY (election_id, contest_id, code, version))",
            f"CREATE INDEX IF NOT EXISTS {p}plenary_correction_tps "
            f"ON {p}plenary_correction (election_id, contest_id, tps)",
            f"CREATE TABLE IF NOT EXISTS {p}plenary_acceptance ({key}, tps TEXT NOT NULL, "
            "result_version INTEGER NOT NULL, code TEXT NOT NULL, rules TEXT NOT NULL, "
            "reason TEXT NOT NULL, at TEXT NOT NULL, position BIGINT NOT NULL, "
            "PRIMARY KEY (election_id, contest_id, tps, result_version, code))",
            *plenary_reads.create_statements(p),
        ]

    # -- applying events -------------------------------------------------------------------

    def apply(self, tx: Tx, events: list[LoggedEvent]) -> None:
        for logged in events:
            if logged.topic in PLENARY_TOPICS:
                self._apply(tx, logged)

    def _apply(self, tx: Tx, logged: LoggedEvent) -> None:
        event, position = logged.event, logged.position
        name = type(event).__name__
        at = event.timestamp.isoformat()
        if isinstance(event, Plenary.Opened):  # type: ignore[attr-defined]
            key = (event.election_id, event.contest_id, event.code)
            self._keys[event.originator_id] = key
            tx.execute(
                f"INSERT INTO {self.p}plenary (election_id, contest_id, code, plenary_id, tier, "
                "status, version, opened_at, updated_at, certificate, position) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, NULL, %s)",
                (
                    *key,
                    str(event.originator_id),
                    event.tier,
                    PlenaryStatus.OPEN.value,
                    event.originator_version,
                    at,
                    at,
                    position,
                ),
            )
            detail: dict[str, Any] = {"tier": event.tier}
        else:
            key = self._key(tx, event.originator_id)
            detail = self._detail(tx, key, event, at, position)
        status = self._status_after(event)
        if not isinstance(event, Plenary.Opened):  # type: ignore[attr-defined]
            tx.execute(
                f"UPDATE {self.p}plenary SET version = %s, updated_at = %s, position = %s"
                + (", status = %s" if status else "")
                + (", certificate = %s" if isinstance(event, Plenary.Certified) else "")
                + " WHERE election_id = %s AND contest_id = %s AND code = %s",
                (
                    event.originator_version,
                    at,
                    position,
                    *([status] if status else []),
                    *([event.number] if isinstance(event, Plenary.Certified) else []),
                    *key,
                ),
            )
        tx.execute(
            f"INSERT INTO {self.p}plenary_minutes (election_id, contest_id, code, version, kind, "
            "at, actor, detail, position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                *key,
                event.originator_version,
                KINDS[name],
                at,
                compact_json(event.actor),
                compact_json(detail),
                position,
            ),
        )

    def _key(self, tx: Tx, plenary_id: Any) -> tuple[str, str, str]:
        if plenary_id not in self._keys:
            row = tx.query(
                f"SELECT election_id, contest_id, code FROM {self.p}plenary WHERE plenary_id = %s",
                (str(plenary_id),),
            )[0]
            self._keys[plenary_id] = (row["election_id"], row["contest_id"], row["code"])
        return self._keys[plenary_id]

    @staticmethod
    def _status_after(event: Any) -> str | None:
        if isinstance(event, Plenary.Certified):
            return PlenaryStatus.CERTIFIED.value
        if isinstance(event, Plenary.Reopened):
            return PlenaryStatus.REOPENED.value
        return None

    def _detail(
        self, tx: Tx, key: tuple[str, str, str], event: Any, at: str, position: int
    ) -> dict[str, Any]:
        """Write the event's own rows; the minutes' entry for it."""
        eid, cid, code = key
        if isinstance(event, Plenary.ObjectionRaised):
            document = {
                "id": event.objection_id,
                "origin": code,
                "subject": event.subject,
                "target": event.target,
                "detail": event.detail,
                "raised_by": event.actor,
                "raised_at": at,
                "resolutions": [],
            }
            tx.execute(
                f"INSERT INTO {self.p}plenary_objection (election_id, contest_id, objection_id, "
                "origin, holder, status, document, position) "
                "VALUES (%s, %s, %s, %s, %s, 'open', %s, %s)",
                (eid, cid, event.objection_id, code, code, compact_json(document), position),
            )
            return {k: v for k, v in document.items() if k not in ("raised_by", "resolutions")}
        if isinstance(event, Plenary.ObjectionResolved):
            return self._resolved(tx, key, event, at, position)
        if isinstance(event, Plenary.RecommendationRecorded):
            return _fields(event, "recommendation_id", "text")
        if isinstance(event, Plenary.RecommendationAnswered):
            return _fields(event, "recommendation_id", "followed", "answer")
        if isinstance(event, Plenary.CorrectionRecorded | Plenary.RevoteRecorded):
            revote = isinstance(event, Plenary.RevoteRecorded)
            reason = (
                f"re-vote (PSU) ordered by {event.order.get('ref') or 'court order'}"
                if revote
                else event.reason
            )
            objection_id = None if revote else event.objection_id
            tier = tx.scalar(
                f"SELECT tier FROM {self.p}plenary WHERE election_id = %s AND contest_id = %s "
                "AND code = %s",
                key,
            )
            tx.execute(
                f"INSERT INTO {self.p}plenary_correction (election_id, contest_id, code, version, "
                "tier, kind, tps, from_version, to_version, reason, objection_id, before, after, "
                "at, position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    *key,
                    event.originator_version,
                    tier,
                    "revote" if revote else "correction",
                    event.tps,
                    event.from_version,
                    event.to_version,
                    reason,
                    objection_id,
                    compact_json(event.before),
                    compact_json(event.after),
                    at,
                    position,
                ),
            )
            return {
                "tps": event.tps,
                "from_version": event.from_version,
                "to_version": event.to_version,
                "reason": reason,
                "objection_id": objection_id,
                **({"order": event.order} if revote else {}),
                "change": change(event.before, event.after),
            }
        if isinstance(event, Plenary.AnomalyAccepted):
            tx.execute(
                f"INSERT INTO {self.p}plenary_acceptance (election_id, contest_id, tps, "
                "result_version, code, rules, reason, at, position) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (
                    eid,
                    cid,
                    event.tps,
                    event.result_version,
                    code,
                    compact_json(event.rules),
                    event.reason,
                    at,
                    position,
                ),
            )
            return _fields(event, "tps", "result_version", "rules", "reason")
        if isinstance(event, Plenary.Certified):
            document = {
                **event.certificate,
                "certified_by": event.actor,
                "certified_at": at,
                "position": position,
            }
            tx.execute(
                f"INSERT INTO {self.p}plenary_certificate (election_id, contest_id, code, number, "
                "document, certified_at, superseded_at, position) "
                "VALUES (%s, %s, %s, %s, %s, %s, NULL, %s)",
                (*key, event.number, compact_json(document), at, position),
            )
            return {
                "number": event.number,
                "signed_by": event.certificate["signed_by"],
                "refusals": event.certificate["refusals"],
                "totals": plenary_reads.summary(event.certificate["figures"]["total"]),
            }
        if isinstance(event, Plenary.Reopened):
            tx.execute(
                f"UPDATE {self.p}plenary_certificate SET superseded_at = %s "
                "WHERE election_id = %s AND contest_id = %s AND code = %s AND number = %s",
                (at, *key, event.supersedes),
            )
            return _fields(event, "reason", "order", "supersedes", "cascade_from")
        if isinstance(event, Plenary.ResultRead):
            return plenary_reads.record(
                tx, self.p, key, event, at, position, compact_json(event.actor)
            )
        if isinstance(event, Plenary.ResultStepNoted):
            return _fields(event, "step", "ref")
        return _fields(event, "code", "reason")  # BelowReopened

    def _resolved(
        self, tx: Tx, key: tuple[str, str, str], event: Any, at: str, position: int
    ) -> dict[str, Any]:
        eid, cid, code = key
        row = tx.query(
            f"SELECT document FROM {self.p}plenary_objection WHERE election_id = %s "
            "AND contest_id = %s AND objection_id = %s",
            (eid, cid, event.objection_id),
        )
        document = json.loads(row[0]["document"]) if row else dict(event.carried or {})
        document.setdefault("resolutions", []).append(
            {
                "at_plenary": code,
                "accepted": event.accepted,
                "note": event.note,
                "by": event.actor,
                "at": at,
                "carried_to": event.carried_to,
            }
        )
        if event.accepted:
            status, holder = "accepted", None
        elif event.carried_to is not None:
            status, holder = "carried", event.carried_to
        else:
            status, holder = "not_accepted", None
        tx.execute(
            f"UPDATE {self.p}plenary_objection SET status = %s, holder = %s, document = %s, "
            "position = %s WHERE election_id = %s AND contest_id = %s AND objection_id = %s",
            (status, holder, compact_json(document), position, eid, cid, event.objection_id),
        )
        return {
            "objection_id": event.objection_id,
            "accepted": event.accepted,
            "note": event.note,
            "carried_from": document.get("origin") if event.carried else None,
            "carried_to": event.carried_to,
        }


def _fields(event: Any, *names: str) -> dict[str, Any]:
    """The minutes' record of an event that is its own fields, named as on the event."""
    return {name: getattr(event, name) for name in names}


def change(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What a correction changed in the figures that are summed up the tiers."""
    now = {k: vote_count(v) for k, v in after.get("votes", {}).items()}
    was = {k: vote_count(v) for k, v in before.get("votes", {}).items()}
    votes = {k: now.get(k, 0) - v for k, v in was.items() if now.get(k, 0) != v}
    diff: dict[str, Any] = {"votes": votes}
    for name in ("valid", "invalid", "total"):
        diff[name] = after.get(name, 0) - before.get(name, 0)
    return diff
