"""Photo progress: which TPS have a current result that cites at least one evidence page (a
C.Hasil photo or PDF), counted per region in `recap_total.tps_with_evidence`.

What counts: a submission's pages; a correction keeps the pages of the reading it corrects (it
reads the same C.Hasil again) and may add its own; a re-vote (PSU) replaces the result with a
new vote whose form the old photos do not show, and cites none, so its TPS counts without
evidence again.
"""

from __future__ import annotations

from typing import Any

from domain.codes import NATION
from domain.tps_result import TpsResult
from service.store.db import Tx


def cites_evidence(event: Any, before: int) -> int:
    """1 if the result after `event` rests on an evidence page; `before`: it did before."""
    if isinstance(event, TpsResult.Revoted):
        return 0
    if isinstance(event, TpsResult.Corrected):
        return int(bool(before or event.evidence))
    return int(bool(event.evidence))


def add_evidence_columns(tx: Tx, prefix: str = "") -> None:
    """Recap tables made before photo progress lack its columns: add them, and fill them from
    the versions already projected (`result_version` keeps each version's evidence), so an
    older store needs no rebuild."""
    current, totals = f"{prefix}result_current", f"{prefix}recap_total"
    if "has_evidence" in _columns(tx, current):
        return
    versions = f"{prefix}result_version"
    tx.execute(f"ALTER TABLE {current} ADD COLUMN has_evidence INTEGER NOT NULL DEFAULT 0")
    tx.execute(f"ALTER TABLE {totals} ADD COLUMN tps_with_evidence INTEGER NOT NULL DEFAULT 0")

    # A version cites a page when its evidence list is not empty (the detail is JSON with
    # sorted keys and no spaces); only the versions since the last re-vote count.
    def of_this_tps(alias: str) -> str:
        return (
            f"{alias}.election_id = {current}.election_id AND {alias}.contest_id = "
            f"{current}.contest_id AND {alias}.tps = {current}.tps"
        )

    tx.execute(
        f"UPDATE {current} SET has_evidence = 1 WHERE EXISTS (SELECT 1 FROM {versions} v "
        f"WHERE {of_this_tps('v')} AND v.detail LIKE %s AND v.version > (SELECT "
        f"COALESCE(MAX(w.version), 0) FROM {versions} w WHERE {of_this_tps('w')} "
        "AND w.kind = 'revoted'))",
        ('%"evidence":[{%',),
    )
    tx.execute(
        f"UPDATE {totals} SET tps_with_evidence = (SELECT COUNT(*) FROM {current} c "
        f"WHERE c.election_id = {totals}.election_id AND c.contest_id = {totals}.contest_id "
        f"AND c.has_evidence = 1 AND ({totals}.code = %s OR (c.tps >= {totals}.code "
        f"AND c.tps < {totals}.code || '~')))",
        (NATION,),
    )


def _columns(tx: Tx, table: str) -> set[str]:
    if tx.is_sqlite:
        return {r["name"] for r in tx.query(f"PRAGMA table_info({table})")}
    rows = tx.query(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s",
        (table,),
    )
    return {r["column_name"] for r in rows}
