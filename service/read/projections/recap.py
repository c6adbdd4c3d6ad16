"""The live tiered recap: every contest at every region from desa up to the contest's scope.

Per TPS it keeps the current form, its version and anomalies; per region the sums of every box
of the form of the TPS under it, how many TPS reported, and how many TPS carry a hard or a soft
anomaly. A batch of events is folded in memory and written with one read and one write per
table, so a rebuild runs at the speed of reading the log rather than one transaction per event.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from domain.codes import NATION, chain_up_to, parent_of, tier_of
from domain.contests import Contest
from domain.election import ContestDefinition, Election, RegionBatch
from domain.form import form_from_document
from domain.rules import check_form
from domain.tps_result import TpsResult
from service.read.projections.base import LoggedEvent, rows_by_key
from service.read.projections.evidence import add_evidence_columns, cites_evidence
from service.read.projections.totals import NO_ANOMALIES, RecapTotals, TpsState, dumps
from service.store.db import Tx
from service.store.reference import ContestLookup

RESULT_TOPICS = frozenset(TpsResult.RESULT_TOPICS)
SETUP_TOPICS = frozenset(
    cls.TOPIC for cls in (Election.Registered, ContestDefinition.Defined, RegionBatch.Loaded)
)
ANALYZE_FIRST = 5_000  # events applied before the first ANALYZE of the tables, then doubling


class RecapProjection:
    name = "recap"

    def __init__(self, prefix: str = "", contests: ContestLookup | None = None) -> None:
        self.p = prefix
        # The process's reference data when there is one; a replay into scratch tables reads
        # the contests it has replayed, in its own transaction.
        self.lookup = contests
        self._contests: dict[tuple[str, str], Contest] = {}
        self.totals = RecapTotals(prefix, self._contests)
        self._applied = 0
        self._analyze_at: int | None = None

    def primary_keys(self) -> list[tuple[str, list[str]]]:
        """Each table with its primary key, for row-by-row comparisons."""
        p = self.p
        return [
            (f"{p}election", ["election_id"]),
            (f"{p}contest", ["election_id", "contest_id"]),
            (f"{p}region", ["election_id", "code"]),
            (f"{p}result_current", ["election_id", "contest_id", "tps"]),
            (f"{p}result_version", ["election_id", "contest_id", "tps", "version"]),
            (f"{p}recap_total", ["election_id", "contest_id", "code"]),
        ]

    def rollup_tables(self) -> list[str]:
        """Tables whose rows sum the TPS under their `code`: what changes a TPS's rows changes
        these too (verify counts such rows under the finding that explains the TPS)."""
        return [f"{self.p}recap_total"]

    def reset(self) -> None:
        self._contests.clear()
        self.totals.reset()
        self._applied, self._analyze_at = 0, None

    def table_names(self) -> list[str]:
        return [
            f"{self.p}{t}"
            for t in (
                "election",
                "contest",
                "region",
                "result_current",
                "result_version",
                "recap_total",
            )
        ]

    def create_statements(self) -> list[str]:
        p = self.p
        return [
            f"CREATE TABLE IF NOT EXISTS {p}election (election_id TEXT PRIMARY KEY, "
            "name TEXT NOT NULL, position BIGINT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {p}contest (election_id TEXT NOT NULL, "
            "contest_id TEXT NOT NULL, document TEXT NOT NULL, position BIGINT NOT NULL, "
            "PRIMARY KEY (election_id, contest_id))",
            f"CREATE TABLE IF NOT EXISTS {p}region (election_id TEXT NOT NULL, code TEXT NOT NULL, "
            "parent TEXT, tier TEXT NOT NULL, name TEXT NOT NULL, tps_total INTEGER NOT NULL, "
            "dpt BIGINT NOT NULL, PRIMARY KEY (election_id, code))",
            f"CREATE INDEX IF NOT EXISTS {p}region_parent ON {p}region (election_id, parent)",
            # The public site finds regions by name among the tiers above the TPS (a tenth of
            # the rows): without this every search reads the whole table, TPS included.
            f"CREATE INDEX IF NOT EXISTS {p}region_tier ON {p}region (election_id, tier)",
            f"CREATE TABLE IF NOT EXISTS {p}result_current (election_id TEXT NOT NULL, "
            "contest_id TEXT NOT NULL, tps TEXT NOT NULL, version INTEGER NOT NULL, "
            "form TEXT NOT NULL, anomalies TEXT NOT NULL, hard INTEGER NOT NULL, "
            "soft INTEGER NOT NULL, submitted_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
            "position BIGINT NOT NULL, has_evidence INTEGER NOT NULL DEFAULT 0, "
            "PRIMARY KEY (election_id, contest_id, tps))",
            # The anomalous TPS of a region are listed from this, not by scanning every TPS.
            f"CREATE INDEX IF NOT EXISTS {p}result_anomalous ON {p}result_current "
            "(election_id, contest_id, tps) WHERE hard > 0 OR soft > 0",
            f"CREATE TABLE IF NOT EXISTS {p}result_version (election_id TEXT NOT NULL, "
            "contest_id TEXT NOT NULL, tps TEXT NOT NULL, version INTEGER NOT NULL, "
            "kind TEXT NOT NULL, form TEXT NOT NULL, reason TEXT, actor TEXT NOT NULL, "
            "at TEXT NOT NULL, detail TEXT NOT NULL, position BIGINT NOT NULL, "
            "PRIMARY KEY (election_id, contest_id, tps, version))",
            f"CREATE TABLE IF NOT EXISTS {p}recap_total (election_id TEXT NOT NULL, "
            "contest_id TEXT NOT NULL, code TEXT NOT NULL, sums TEXT NOT NULL, "
            "tps_reported INTEGER NOT NULL, hard_tps INTEGER NOT NULL, soft_tps INTEGER NOT NULL, "
            "position BIGINT NOT NULL, tps_with_evidence INTEGER NOT NULL DEFAULT 0, "
            "PRIMARY KEY (election_id, contest_id, code))",
        ]

    def upgrade(self, tx: Tx) -> None:
        """Bring tables of an older rekap up to date (`rekap init`)."""
        add_evidence_columns(tx, self.p)

    # -- applying events -------------------------------------------------------------------

    def apply(self, tx: Tx, events: list[LoggedEvent]) -> None:
        results: list[LoggedEvent] = []
        # The region batches of a runner batch are written together: each adds its TPS to the
        # same kab/kota, province and nation rows, and one update of those per runner batch
        # leaves far fewer dead row versions behind than one per kecamatan (an index scan of
        # the nation's children would wade through them until the next VACUUM).
        region_batches: list[Any] = []
        for logged in events:
            topic = logged.topic
            if topic in RESULT_TOPICS:
                results.append(logged)
                continue
            if topic not in SETUP_TOPICS:
                continue
            # Set-up events come before any result that depends on them in the log, so
            # results are folded after the set-up events of the same batch.
            if results:
                self._apply_results(tx, results)
                results = []
            event = logged.event
            if isinstance(event, Election.Registered):
                self._election(tx, event, logged.position)
            elif isinstance(event, ContestDefinition.Defined):
                self._contest(tx, event, logged.position)
            elif isinstance(event, RegionBatch.Loaded):
                region_batches.append(event)
        if results:
            self._apply_results(tx, results)
        for election_id in dict.fromkeys(e.election_id for e in region_batches):
            self._regions(
                tx, election_id, [e for e in region_batches if e.election_id == election_id]
            )
        self._applied += len(events)
        if tx.is_sqlite:
            return
        if self._analyze_at is None:
            self._analyze_at = max(ANALYZE_FIRST, self._rows_known(tx))
        if self._applied >= self._analyze_at:
            self._analyze(tx)

    def _analyze(self, tx: Tx) -> None:
        # Tables that grew from empty have no planner statistics until analysed (autovacuum may
        # be off or late), and without them PostgreSQL reads every TPS of a contest to find a
        # batch's thousand: a rebuild turns quadratic. Analysing as they double costs little.
        self._analyze_at = self._applied * 2
        for table in ("result_current", "recap_total", "region"):
            tx.execute(f"ANALYZE {self.p}{table}")

    def _rows_known(self, tx: Tx) -> int:
        """How many TPS results the planner already knows of (0 if never analysed).

        A process that starts on tables already analysed waits until it has applied as many
        events again: analysing national tables costs seconds, and doing it after the first
        few thousand events of every start showed as seconds of projection lag."""
        found = tx.scalar(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)",
            (f"{self.p}result_current",),
        )
        return max(int(found or 0), 0)

    def _election(self, tx: Tx, event: Any, position: int) -> None:
        tx.execute(
            f"INSERT INTO {self.p}election (election_id, name, position) VALUES (%s, %s, %s) "
            "ON CONFLICT (election_id) DO NOTHING",
            (event.election_id, event.name, position),
        )

    def _contest(self, tx: Tx, event: Any, position: int) -> None:
        tx.execute(
            f"INSERT INTO {self.p}contest (election_id, contest_id, document, position) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (election_id, contest_id) DO NOTHING",
            (event.election_id, event.contest_id, dumps(event.contest), position),
        )

    def _regions(self, tx: Tx, eid: str, batches: list[Any]) -> None:
        names: dict[str, str] = {NATION: "INDONESIA"}
        tps_rows = []
        by_desa: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for batch in batches:
            for code, name in batch.regions:
                names.setdefault(code, name)
            for code, dpt in batch.tps:
                desa = parent_of(code) or NATION
                tps_rows.append((eid, code, desa, "tps", f"TPS {code[-3:]}", 1, dpt))
                counts = by_desa[desa]
                counts[0] += 1
                counts[1] += dpt
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for desa, (n, dpt) in by_desa.items():
            for region in chain_up_to(desa, NATION):
                totals[region][0] += n
                totals[region][1] += dpt
        # A region new here is inserted with its TPS and DPT; one loaded before gets them added
        # (loading never renames a region). TPS rows are written once, by their kecamatan.
        tx.insert_rows(
            f"INSERT INTO {self.p}region (election_id, code, parent, tier, name, tps_total, dpt) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (election_id, code) DO UPDATE SET "
            f"tps_total = {self.p}region.tps_total + excluded.tps_total, "
            f"dpt = {self.p}region.dpt + excluded.dpt "
            "WHERE excluded.tps_total <> 0 OR excluded.dpt <> 0",
            [
                (eid, code, parent_of(code), tier_of(code).value, name, *totals.get(code, (0, 0)))
                for code, name in names.items()
            ],
        )
        tx.insert_rows(
            f"INSERT INTO {self.p}region (election_id, code, parent, tier, name, tps_total, dpt) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (election_id, code) DO NOTHING",
            tps_rows,
        )
        # Ancestors a batch did not name (its tree lists them all; this keeps older logs right).
        tx.executemany(
            f"UPDATE {self.p}region SET tps_total = tps_total + %s, dpt = dpt + %s "
            "WHERE election_id = %s AND code = %s",
            [(n, dpt, eid, code) for code, (n, dpt) in totals.items() if code not in names],
        )

    def scratch(self, prefix: str) -> RecapProjection:
        """The same projection into tables named with `prefix` (a replay to compare with)."""
        return RecapProjection(prefix, self.lookup)

    def _contest_of(self, tx: Tx, election_id: str, contest_id: str) -> Contest:
        key = (election_id, contest_id)
        if key not in self._contests and self.lookup is not None:
            self._contests[key] = self.lookup(election_id, contest_id)
        if key not in self._contests:
            document = tx.scalar(
                f"SELECT document FROM {self.p}contest WHERE election_id = %s AND contest_id = %s",
                key,
            )
            self._contests[key] = Contest.from_dict(election_id, json.loads(document))
        return self._contests[key]

    def _apply_results(self, tx: Tx, events: list[LoggedEvent]) -> None:
        keys = {(e.event.election_id, e.event.contest_id, e.event.tps) for e in events}
        before = self._load_current(tx, keys)
        current = dict(before)
        versions = []
        for logged in events:
            event = logged.event
            key = (event.election_id, event.contest_id, event.tps)
            self._contest_of(tx, key[0], key[1])  # the contest's scope bounds the totals
            form = form_from_document(event.form)
            at = event.timestamp.isoformat()
            previous = current.get(key)
            current[key] = TpsState(
                version=event.originator_version,
                form=event.form,
                anomalies=[a.to_dict() for a in check_form(form)],
                submitted_at=previous.submitted_at if previous else at,
                updated_at=at,
                position=logged.position,
                has_evidence=cites_evidence(event, previous.has_evidence if previous else 0),
            )
            versions.append((*key, logged, at, current[key]))
        self._write_versions(tx, versions)
        self._write_current(tx, {k: current[k] for k in keys})
        self.totals.write(tx, before, current, keys)

    def _load_current(self, tx: Tx, keys: set[tuple[str, str, str]]) -> dict[Any, TpsState]:
        found: dict[Any, TpsState] = {}
        columns = "version, form, anomalies, submitted_at, updated_at, position, has_evidence"
        for key, r in rows_by_key(tx, f"{self.p}result_current", columns, "tps", keys):
            found[key] = TpsState(
                r["version"],
                json.loads(r["form"]),
                json.loads(r["anomalies"]),
                r["submitted_at"],
                r["updated_at"],
                r["position"],
                r["form"],
                r["has_evidence"],
            )
        return found

    def _write_versions(self, tx: Tx, versions: list[tuple[Any, ...]]) -> None:
        rows = []
        for eid, cid, tps, logged, at, state in versions:
            event = logged.event
            if isinstance(event, TpsResult.Submitted):
                kind, reason = "submitted", None
                detail = {
                    "submission_id": event.submission_id,
                    "captured_at": event.captured_at,
                    "source": event.source,
                    "evidence": event.evidence,
                }
            elif isinstance(event, TpsResult.Revoted):
                kind, reason = "revoted", f"re-vote (PSU): {event.order.get('ref', '')}"
                detail = {
                    "replaces_version": event.replaces_version,
                    "order": event.order,
                    "plenary": event.plenary,
                }
            else:
                kind, reason = "corrected", event.reason
                detail = {
                    "corrects_version": event.corrects_version,
                    "evidence": event.evidence,
                    "request_id": event.request_id,
                    "objection_id": event.objection_id,
                    "plenary": event.plenary,
                }
            rows.append(
                (
                    eid,
                    cid,
                    tps,
                    event.originator_version,
                    kind,
                    state.text,
                    reason,
                    dumps(event.actor),
                    at,
                    dumps(detail),
                    logged.position,
                )
            )
        tx.insert_rows(
            f"INSERT INTO {self.p}result_version (election_id, contest_id, tps, version, kind, "
            "form, reason, actor, at, detail, position) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )

    def _write_current(self, tx: Tx, states: dict[Any, TpsState]) -> None:
        tx.insert_rows(
            f"INSERT INTO {self.p}result_current (election_id, contest_id, tps, version, form, "
            "anomalies, hard, soft, submitted_at, updated_at, position, has_evidence) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (election_id, contest_id, tps) DO UPDATE SET version = excluded.version, "
            "form = excluded.form, anomalies = excluded.anomalies, hard = excluded.hard, "
            "soft = excluded.soft, updated_at = excluded.updated_at, position = excluded.position, "
            "has_evidence = excluded.has_evidence",
            [
                (
                    *key,
                    s.version,
                    s.text,
                    dumps(s.anomalies) if s.anomalies else NO_ANOMALIES,
                    s.hard,
                    s.soft,
                    s.submitted_at,
                    s.updated_at,
                    s.position,
                    s.has_evidence,
                )
                for key, s in states.items()
            ],
        )
