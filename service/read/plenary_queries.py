"""The read side of the plenaries: state, minutes, objections, certificates, and what a region's
recap shows of its plenary (the certified figures beside the current ones, and the corrections
that explain any difference)."""

from __future__ import annotations

import json
from typing import Any

from domain.codes import NATION, tier_of
from domain.contests import Contest
from domain.errors import NotFound
from domain.plenary import PlenaryStatus
from service.read.projections.plenary import change
from service.read.projections.plenary_reads import read_in_plenary
from service.store.db import Database, Tx

FIGURES = ("votes", "valid", "invalid", "total")
READ_LIST_LIMIT = 100


class PlenaryQueries:
    def __init__(self, db: Database, prefix: str = "") -> None:
        self.db = db
        self.p = prefix

    def plenary(self, contest: Contest, code: str) -> dict[str, Any]:
        """Status, the minutes (every event), open objections, recommendations, the certificate."""
        eid, cid = contest.election_id, contest.contest_id
        with self.db.transaction(write=False) as tx:
            rows = tx.query(
                f"SELECT tier, status, version, opened_at, updated_at, certificate, position "
                f"FROM {self.p}plenary WHERE election_id = %s AND contest_id = %s AND code = %s",
                (eid, cid, code),
            )
            name = tx.scalar(
                f"SELECT name FROM {self.p}region WHERE election_id = %s AND code = %s",
                (eid, code),
            )
            document: dict[str, Any] = {
                "election": eid,
                "contest": cid,
                "code": code,
                "name": name or ("INDONESIA" if code == NATION else None),
                "tier": tier_of(code).value,
                "status": PlenaryStatus.NOT_OPEN.value,
                "version": 0,
                "minutes": [],
                "open_objections": [],
                "objections": [],
                "recommendations": [],
                "certificate": None,
                "certificates": [],
                "position": self._position(tx),
            }
            if not rows:
                return document
            row = rows[0]
            document.update(
                status=row["status"],
                version=row["version"],
                opened_at=row["opened_at"],
                updated_at=row["updated_at"],
            )
            minutes = [
                {
                    "version": m["version"],
                    "kind": m["kind"],
                    "at": m["at"],
                    "actor": json.loads(m["actor"]),
                    "position": m["position"],
                    **json.loads(m["detail"]),
                }
                for m in tx.query(
                    f"SELECT version, kind, at, actor, detail, position FROM "
                    f"{self.p}plenary_minutes WHERE election_id = %s AND contest_id = %s "
                    "AND code = %s ORDER BY version",
                    (eid, cid, code),
                )
            ]
            document["minutes"] = minutes
            document["recommendations"] = _recommendations(minutes)
            objections = self._objections(tx, eid, cid, code)
            document["objections"] = objections
            document["open_objections"] = [
                o for o in objections if o["status"] in ("open", "carried") and o["holder"] == code
            ]
            certificates = self._certificates(tx, eid, cid, code)
            document["certificates"] = [
                {k: c[k] for k in ("number", "certified_at", "superseded_at", "position")}
                for c in certificates
            ]
            if row["status"] == PlenaryStatus.CERTIFIED.value and certificates:
                document["certificate"] = certificates[-1]["document"]
        return document

    def plenaries(self, contest: Contest) -> list[dict[str, Any]]:
        """Every plenary of a contest that has opened, with its state."""
        rows = self.db.query(
            f"SELECT p.code, p.tier, p.status, p.version, p.certificate, p.updated_at, r.name "
            f"FROM {self.p}plenary p LEFT JOIN {self.p}region r ON r.election_id = p.election_id "
            "AND r.code = p.code WHERE p.election_id = %s AND p.contest_id = %s ORDER BY p.code",
            (contest.election_id, contest.contest_id),
        )
        return [dict(r) for r in rows]

    def certificate(self, contest: Contest, code: str, number: int | None = None) -> dict[str, Any]:
        """The D.Hasil of one certification (the latest when no number is given)."""
        with self.db.transaction(write=False) as tx:
            certificates = self._certificates(tx, contest.election_id, contest.contest_id, code)
        if number is not None:
            certificates = [c for c in certificates if c["number"] == number]
        if not certificates:
            raise NotFound(
                f"the plenary of {code} has no certificate"
                + (f" number {number}" if number is not None else " yet")
            )
        found = certificates[-1]
        return {**found["document"], "superseded_at": found["superseded_at"]}

    # -- what a region's recap shows -----------------------------------------------------------

    def summary(self, tx: Tx, contest: Contest, code: str) -> dict[str, Any] | None:
        """The plenary of a region in its recap; None where this contest holds no plenary."""
        if tier_of(code) not in contest.plenary_tiers:
            return None
        eid, cid = contest.election_id, contest.contest_id
        rows = tx.query(
            f"SELECT status, certificate FROM {self.p}plenary WHERE election_id = %s "
            "AND contest_id = %s AND code = %s",
            (eid, cid, code),
        )
        if not rows:
            return {"status": PlenaryStatus.NOT_OPEN.value, "certified": None, "corrections": []}
        status = rows[0]["status"]
        latest = tx.query(
            f"SELECT number, document, certified_at, superseded_at, position "
            f"FROM {self.p}plenary_certificate WHERE election_id = %s AND contest_id = %s "
            "AND code = %s ORDER BY number DESC LIMIT 1",
            (eid, cid, code),
        )
        summary: dict[str, Any] = {"status": status, "certified": None, "corrections": []}
        if not latest:
            return summary
        cert = latest[0]
        document = json.loads(cert["document"])
        total = document["figures"]["total"]
        summary["certified"] = {
            "certificate": cert["number"],
            "certified_at": cert["certified_at"],
            "superseded_at": cert["superseded_at"],
            **{k: total[k] for k in FIGURES},
            "children": [
                {k: c[k] for k in ("code", *FIGURES)} for c in document["figures"]["children"]
            ],
        }
        if document.get("verdict") is not None and status == PlenaryStatus.CERTIFIED.value:
            summary["verdict"] = document["verdict"]
        summary["corrections"] = self._corrections_since(tx, eid, cid, code, cert["position"])
        return summary

    def statuses(self, tx: Tx, contest: Contest, codes: list[str]) -> dict[str, str]:
        if not codes:
            return {}
        rows = tx.query(
            f"SELECT code, status FROM {self.p}plenary WHERE election_id = %s AND contest_id = %s "
            f"AND code IN ({', '.join(['%s'] * len(codes))})",
            (contest.election_id, contest.contest_id, *codes),
        )
        found = {r["code"]: r["status"] for r in rows}
        return {c: found.get(c, PlenaryStatus.NOT_OPEN.value) for c in codes}

    def annotate(self, tx: Tx, contest: Contest, document: dict[str, Any]) -> None:
        """Fill a region's recap with its plenary, its children's plenary states and, at the
        contest's top, the winner rule's verdict (final only once the top plenary certified).

        Read in the recap's own transaction, so the figures and the plenary agree."""
        document["plenary"] = self.summary(tx, contest, document["code"])
        children = {
            c["code"]: c
            for c in document.get("children", [])
            if tier_of(c["code"]) in contest.plenary_tiers
        }
        for code, status in self.statuses(tx, contest, list(children)).items():
            children[code]["plenary"] = status
        plenary = document["plenary"]
        if plenary is not None:
            plenary["difference"] = _difference(plenary.get("certified"), document)
        code = document["code"]
        low, high = ("", "~") if code == NATION else (code, code + "~")
        read = read_in_plenary(tx, self.p, contest.election_id, contest.contest_id, low, high)
        document["tps_read_in_plenary"] = len(read)
        document["read_in_plenary"] = read[:READ_LIST_LIMIT]
        for child in document.get("children", []):
            child["tps_read_in_plenary"] = sum(1 for tps in read if tps.startswith(child["code"]))

    def _corrections_since(
        self, tx: Tx, eid: str, cid: str, code: str, position: int
    ) -> list[dict[str, Any]]:
        low, high = ("", "~") if code == NATION else (code, code + "~")
        rows = tx.query(
            f"SELECT code, tier, kind, tps, from_version, to_version, reason, objection_id, "
            f"before, after, at, position FROM {self.p}plenary_correction WHERE election_id = %s "
            "AND contest_id = %s AND tps >= %s AND tps < %s AND position > %s ORDER BY position",
            (eid, cid, low, high, position),
        )
        return [
            {
                "plenary": r["code"],
                "tier": r["tier"],
                "kind": r["kind"],
                "tps": r["tps"],
                "from_version": r["from_version"],
                "to_version": r["to_version"],
                "reason": r["reason"],
                "objection_id": r["objection_id"],
                "at": r["at"],
                "position": r["position"],
                "change": change(json.loads(r["before"]), json.loads(r["after"])),
            }
            for r in rows
        ]

    def _objections(self, tx: Tx, eid: str, cid: str, code: str) -> list[dict[str, Any]]:
        """Objections raised here, and those carried up to here or resolved here."""
        rows = tx.query(
            f"SELECT objection_id, origin, holder, status, document FROM {self.p}plenary_objection "
            "WHERE election_id = %s AND contest_id = %s AND (origin = %s OR holder = %s "
            "OR document LIKE %s) ORDER BY position, objection_id",
            (eid, cid, code, code, f'%"at_plenary":"{code}"%'),
        )
        return [
            {
                **json.loads(r["document"]),
                "status": r["status"],
                "holder": r["holder"],
            }
            for r in rows
        ]

    def _certificates(self, tx: Tx, eid: str, cid: str, code: str) -> list[dict[str, Any]]:
        rows = tx.query(
            f"SELECT number, document, certified_at, superseded_at, position "
            f"FROM {self.p}plenary_certificate WHERE election_id = %s AND contest_id = %s "
            "AND code = %s ORDER BY number",
            (eid, cid, code),
        )
        return [{**r, "document": json.loads(r["document"])} for r in rows]

    def _position(self, tx: Tx) -> int:
        return int(
            tx.scalar("SELECT position FROM projection_position WHERE name = 'plenary'") or 0
        )


def _recommendations(minutes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for m in minutes:
        if m["kind"] == "recommendation_recorded":
            found[m["recommendation_id"]] = {
                "id": m["recommendation_id"],
                "text": m["text"],
                "by": m["actor"],
                "at": m["at"],
                "answer": None,
            }
        elif m["kind"] == "recommendation_answered" and m["recommendation_id"] in found:
            found[m["recommendation_id"]]["answer"] = {
                "followed": m["followed"],
                "text": m["answer"],
                "by": m["actor"],
                "at": m["at"],
            }
    return list(found.values())


def _difference(certified: dict[str, Any] | None, current: dict[str, Any]) -> dict[str, Any] | None:
    """Current figures minus the certified ones; None when nothing was certified."""
    if certified is None:
        return None
    votes = {
        k: current["votes"].get(k, 0) - v
        for k, v in certified["votes"].items()
        if current["votes"].get(k, 0) != v
    }
    return {"votes": votes, **{k: current[k] - certified[k] for k in ("valid", "invalid", "total")}}
