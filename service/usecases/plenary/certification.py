"""Certify a plenary (D.Hasil): gather the facts the rules of domain.certification judge, then
record the exact figures and what the certification relied on.

The figures come from the recap projection once it has caught up with the log; the children's
states and the objections carried up come from their aggregates. Nothing read is locked: the save
fails (409) on this plenary's version if anything changed meanwhile, as a correction is saved
with an event of the plenary that makes it, and reopening a child writes an event on every
plenary above it.
"""

from __future__ import annotations

import json
from typing import Any

from domain.access import Actor
from domain.certification import CertificationFacts, blocking_reasons
from domain.codes import NATION
from domain.commands import Certify
from domain.errors import Conflict, FieldError
from domain.plenary import Plenary, PlenaryStatus
from domain.rules import Severity
from domain.winner import decide
from service.store.db import Tx
from service.usecases.plenary.context import (
    PlenaryContext,
    PlenaryOutcome,
    Target,
    addressed,
    child_plenaries,
    save_plenary,
    sync_read_models,
)
from service.usecases.plenary.figures import plenary_figures


def certify(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    command: Certify,
) -> PlenaryOutcome:
    """Certify (D.Hasil): refused with every blocking reason, or recorded with the exact figures."""
    t, plenary = addressed(ctx, actor, election_id, contest_id, code)
    plenary.require_open()
    sync_read_models(ctx)
    children = child_plenaries(ctx, t)
    with ctx.db.transaction(write=False) as tx:
        figures = plenary_figures(ctx, tx, t)
        facts = _facts(ctx, tx, t, plenary, children, figures)
        reasons = blocking_reasons(facts)
        if reasons:
            raise Conflict(
                f"the {t.tier} plenary of {t.code} cannot certify yet: "
                f"{len(reasons)} reason(s) block it",
                reasons,
            )
        if command.expect is not None:
            _require_expected(t, figures, command.expect)
        recap_position = int(
            tx.scalar("SELECT position FROM projection_position WHERE name = 'recap'") or 0
        )
    for row in figures.get("tps", []):
        if row["code"] in plenary.minutes.read:
            row["read_in_plenary"] = True
    relied_on = {
        "recap_position": recap_position,
        "plenary_version": plenary.version,
        "children": {c: p.version for c, p in sorted(children.items()) if p is not None},
    }
    top = t.code == t.contest.region and not t.contest.is_legislative  # seats: GET .../seats
    verdict = _verdict(t, figures) if top else None
    number = plenary.certify(
        figures=figures,
        signed_by=list(command.signed_by),
        refusals=[r.to_dict() for r in command.refusals],
        relied_on=relied_on,
        verdict=verdict,
        actor=actor.to_dict(),
    )
    return save_plenary(ctx, t, plenary, certificate=number, verdict=verdict)


def _require_expected(t: Target, figures: dict[str, Any], expect: Any) -> None:
    """The figures here are those the certificate is expected to hold, TPS by TPS."""
    found, wanted = _by_code(figures), _by_code(expect)
    differ = sorted(c for c in found.keys() | wanted.keys() if found.get(c) != wanted.get(c))
    if differ:
        raise Conflict(
            f"the figures of {t.code} here differ from those the certificate is to hold",
            [FieldError(f"figures.{code}", "differs here") for code in differ],
        )


def _by_code(figures: Any) -> dict[str, Any]:
    rows = [figures.get("total", {}), *figures.get("children", []), *figures.get("tps", [])]
    keys = ("votes", "valid", "invalid", "total")
    return {r.get("code"): {k: r.get(k) for k in keys} for r in rows if isinstance(r, dict)}


def _facts(
    ctx: PlenaryContext,
    tx: Tx,
    t: Target,
    plenary: Plenary,
    children: dict[str, Plenary | None],
    figures: dict[str, Any],
) -> CertificationFacts:
    carried = [
        o
        for child in children.values()
        if child is not None
        for o in child.minutes.carried_up()
        if o["id"] not in plenary.minutes.carried
    ]
    not_certified = {
        code: (child.status.value if child is not None else PlenaryStatus.NOT_OPEN.value)
        for code, child in children.items()
        if child is None or not child.is_certified
    }
    missing = [row["code"] for row in figures.get("tps", []) if row.get("version") is None]
    return CertificationFacts(
        tps_without_result=missing,
        children_not_certified=not_certified,
        unresolved_anomalies=_unresolved_anomalies(ctx, tx, t, plenary),
        open_objections=plenary.minutes.open_objections(),
        carried_objections=carried,
        unanswered_recommendations=plenary.minutes.unanswered_recommendations(),
    )


def _unresolved_anomalies(
    ctx: PlenaryContext, tx: Tx, t: Target, plenary: Plenary
) -> dict[str, list[str]]:
    eid, cid = t.contest.election_id, t.contest.contest_id
    low, high = ("", "~") if t.code == NATION else (t.code, t.code + "~")
    rows = tx.query(
        f"SELECT tps, version, anomalies FROM {ctx.prefix}result_current WHERE election_id = %s "
        "AND contest_id = %s AND tps >= %s AND tps < %s AND hard > 0",
        (eid, cid, low, high),
    )
    if not rows:
        return {}
    accepted = {
        (r["tps"], r["result_version"])
        for r in tx.query(
            f"SELECT tps, result_version FROM {ctx.prefix}plenary_acceptance "
            "WHERE election_id = %s AND contest_id = %s AND tps >= %s AND tps < %s",
            (eid, cid, low, high),
        )
    }
    accepted |= {(a["tps"], a["result_version"]) for a in plenary.minutes.accepted.values()}
    return {
        r["tps"]: sorted(
            {a["rule"] for a in json.loads(r["anomalies"]) if a["severity"] == Severity.HARD}
        )
        for r in rows
        if (r["tps"], r["version"]) not in accepted
    }


def _verdict(t: Target, figures: dict[str, Any]) -> dict[str, Any]:
    votes = {int(k): v for k, v in figures["total"]["votes"].items()}
    by_province = None
    if t.contest.region == NATION:
        by_province = {
            c["code"]: {int(k): v for k, v in c["votes"].items()} for c in figures["children"]
        }
    return decide(
        t.contest.winner_rule, votes, complete=True, votes_by_province=by_province
    ).to_dict()
