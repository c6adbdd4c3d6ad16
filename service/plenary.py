"""Use cases of the recap plenary: open, object, resolve, recommend, correct, accept an anomaly,
certify, reopen, record a re-vote.

Races are settled by the event store, not by reads: a TPS correction is saved in one call with an
event of the plenary that makes it, so a certification that read the figures before it fails on
the plenary's version (409); reopening a plenary writes an event on every plenary above it, so a
parent certifying on a child it saw certified fails the same way. The children's states and the
objections carried up are read from their aggregates; the figures come from the recap projection
after it has caught up with the log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import IntegrityError

from domain.access import (
    Actor,
    Role,
    require_objector,
    require_plenary_official,
    require_reopener,
)
from domain.certification import CertificationFacts, blocking_reasons
from domain.codes import NATION, Tier, is_within, normalise, tier_of
from domain.contests import Contest
from domain.errors import Conflict, ErrorList, Forbidden, InvalidInput, NotFound
from domain.form import parse_form, unflatten
from domain.plenary import (
    ObjectionSubject,
    OrderKind,
    Plenary,
    PlenaryStatus,
    TierLocked,
    next_plenary,
    plenaries_above,
    plenaries_below,
    plenary_tier,
)
from domain.rules import Severity, check_form
from domain.tps_result import TpsResult
from domain.winner import decide
from service.application import Rekap
from service.db import Database, Tx
from service.projections.runner import ProjectionRunner
from service.reference import Reference

log = logging.getLogger("rekap.plenary")

SYNC_TIMEOUT = 30.0
MAX_TEXT = 4000


@dataclass
class PlenaryContext:
    """What the plenary use cases need, injected once at bootstrap."""

    app: Rekap
    db: Database
    ref: Reference
    runner: ProjectionRunner
    prefix: str = ""  # of the recap tables the figures are read from


@dataclass(frozen=True)
class PlenaryOutcome:
    election_id: str
    contest_id: str
    code: str
    tier: str
    status: str
    version: int
    position: int
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "election": self.election_id,
            "contest": self.contest_id,
            "plenary": self.code,
            "tier": self.tier,
            "status": self.status,
            "version": self.version,
            "position": self.position,
            **self.extra,
        }


@dataclass(frozen=True)
class Target:
    contest: Contest
    code: str
    tier: Tier


# -- commands ---------------------------------------------------------------------------------


def open_plenary(
    ctx: PlenaryContext, actor: Actor, election_id: str, contest_id: str, code: str
) -> PlenaryOutcome:
    """Open the plenary; opening needs nothing (a kecamatan's TPS then lock for KPPS)."""
    t = _target(ctx, election_id, contest_id, code)
    require_plenary_official(actor, t.tier, t.code)
    if ctx.app.get_or_none(Plenary.create_id(election_id, contest_id, t.code)) is not None:
        raise Conflict(f"the {t.tier} plenary of {t.code} is already open (or was)")
    plenary = Plenary(
        election_id=election_id,
        contest_id=contest_id,
        code=t.code,
        tier=t.tier.value,
        actor=actor.to_dict(),
    )
    return _save(ctx, t, plenary)


def raise_objection(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    body: dict[str, Any],
) -> PlenaryOutcome:
    """A witness (within its mandate) or a supervisor objects: procedure, a TPS, a child region."""
    t = _target(ctx, election_id, contest_id, code)
    require_objector(actor, contest_id, t.code)
    errors = ErrorList()
    subject = _choice(ObjectionSubject, body.get("subject"), "subject", errors)
    detail = _text(body.get("detail"), "detail", errors)
    target = body.get("target")
    if subject is ObjectionSubject.PROCEDURE:
        target = target if isinstance(target, str) and target.strip() else None
    elif subject is not None:
        target = _objection_target(ctx, t, subject, target, errors)
    if errors:
        raise InvalidInput("the objection cannot be recorded", errors.errors)
    plenary = _load(ctx, t)
    objection_id = plenary.raise_objection(
        subject=subject.value, target=target, detail=detail, actor=actor.to_dict()
    )
    return _save(ctx, t, plenary, objection_id=objection_id)


def resolve_objection(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    objection_id: str,
    body: dict[str, Any],
) -> PlenaryOutcome:
    """Accepted (with the correction it leads to, a kejadian khusus) or not accepted (keberatan,
    carried up to the next tier's plenary)."""
    t = _target(ctx, election_id, contest_id, code)
    require_plenary_official(actor, t.tier, t.code)
    errors = ErrorList()
    accepted = body.get("accepted")
    if not isinstance(accepted, bool):
        errors.add("accepted", "true or false")
    note = _text(body.get("note"), "note", errors)
    correction = body.get("correction")
    if correction is not None and not isinstance(correction, dict):
        errors.add("correction", "an object {tps, form, reason}")
    if correction is not None and accepted is False:
        errors.add("correction", "only an accepted objection leads to a correction")
    if errors:
        raise InvalidInput("the resolution cannot be recorded", errors.errors)
    plenary = _load(ctx, t)
    carried = None
    if objection_id not in plenary.objections:
        carried = _carried_objection(ctx, t, objection_id)
    plenary.resolve_objection(
        objection_id=objection_id,
        accepted=accepted,
        note=note,
        carried=carried,
        carried_to=next_plenary(t.contest, t.code),
        actor=actor.to_dict(),
    )
    if correction is None:
        return _save(ctx, t, plenary, objection_id=objection_id)
    result = _correct(ctx, t, plenary, actor, {**correction, "objection_id": objection_id})
    return _save(ctx, t, plenary, result, objection_id=objection_id, tps_version=result.version)


def record_recommendation(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    body: dict[str, Any],
) -> PlenaryOutcome:
    """A supervisor's (Bawaslu) recommendation: recorded, and it must be answered."""
    t = _target(ctx, election_id, contest_id, code)
    if actor.role is not Role.BAWASLU:
        raise Forbidden("only a supervisor (bawaslu) records recommendations")
    require_objector(actor, contest_id, t.code)
    errors = ErrorList()
    text = _text(body.get("text"), "text", errors)
    if errors:
        raise InvalidInput("the recommendation cannot be recorded", errors.errors)
    plenary = _load(ctx, t)
    rid = plenary.record_recommendation(text=text, actor=actor.to_dict())
    return _save(ctx, t, plenary, recommendation_id=rid)


def answer_recommendation(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    recommendation_id: str,
    body: dict[str, Any],
) -> PlenaryOutcome:
    t = _target(ctx, election_id, contest_id, code)
    require_plenary_official(actor, t.tier, t.code)
    errors = ErrorList()
    followed = body.get("followed")
    if not isinstance(followed, bool):
        errors.add("followed", "true or false")
    answer = _text(body.get("answer"), "answer", errors)
    if errors:
        raise InvalidInput("the answer cannot be recorded", errors.errors)
    plenary = _load(ctx, t)
    plenary.answer_recommendation(
        recommendation_id=recommendation_id,
        followed=followed,
        answer=answer,
        actor=actor.to_dict(),
    )
    return _save(ctx, t, plenary, recommendation_id=recommendation_id)


def correct(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    body: dict[str, Any],
) -> PlenaryOutcome:
    """Correct a TPS's figures in this plenary's minutes (with the reason and the objection)."""
    t = _target(ctx, election_id, contest_id, code)
    require_plenary_official(actor, t.tier, t.code)
    plenary = _load(ctx, t)
    result = _correct(ctx, t, plenary, actor, body)
    return _save(ctx, t, plenary, result, tps=result.tps, tps_version=result.version)


def accept_anomaly(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    tps: str,
    body: dict[str, Any],
) -> PlenaryOutcome:
    """Accept the hard anomaly of a TPS's current reading, with a written reason."""
    t = _target(ctx, election_id, contest_id, code)
    require_plenary_official(actor, t.tier, t.code)
    errors = ErrorList()
    reason = _text(body.get("reason"), "reason", errors)
    if errors:
        raise InvalidInput("the acceptance cannot be recorded", errors.errors)
    tps = _tps_under(t, tps)
    result = _result(ctx, t, tps)
    form = parse_form(result.form, t.contest.kind, t.contest.candidate_keys)
    rules = sorted({a.rule for a in check_form(form) if a.severity is Severity.HARD})
    plenary = _load(ctx, t)
    plenary.accept_anomaly(
        tps=tps, result_version=result.version, rules=rules, reason=reason, actor=actor.to_dict()
    )
    return _save(ctx, t, plenary, tps=tps, tps_version=result.version, rules=rules)


def certify(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    body: dict[str, Any],
) -> PlenaryOutcome:
    """Certify (D.Hasil): refused with every blocking reason, or recorded with the exact figures."""
    t = _target(ctx, election_id, contest_id, code)
    require_plenary_official(actor, t.tier, t.code)
    errors = ErrorList()
    signed_by = body.get("signed_by")
    if (
        not isinstance(signed_by, list)
        or not signed_by
        or not all(isinstance(s, str) and s.strip() for s in signed_by)
    ):
        errors.add("signed_by", "the names of the members who sign (at least one)")
        signed_by = []
    refusals = body.get("refusals") or []
    if not isinstance(refusals, list):
        errors.add("refusals", "a list of {by, reason}")
        refusals = []
    for i, refusal in enumerate(refusals):
        if not isinstance(refusal, dict) or set(refusal) != {"by", "reason"}:
            errors.add(f"refusals.{i}", "{by, reason}: who refuses to sign, and why")
        else:
            _text(refusal.get("by"), f"refusals.{i}.by", errors)
            _text(refusal.get("reason"), f"refusals.{i}.reason", errors)
    if errors:
        raise InvalidInput("the certification cannot be recorded", errors.errors)
    plenary = _load(ctx, t)
    plenary.require_open()
    _sync(ctx)
    children = _child_plenaries(ctx, t)
    with ctx.db.transaction(write=False) as tx:
        figures = _figures(ctx, tx, t)
        facts = _facts(ctx, tx, t, plenary, children, figures)
        reasons = blocking_reasons(facts)
        if reasons:
            raise Conflict(
                f"the {t.tier} plenary of {t.code} cannot certify yet: "
                f"{len(reasons)} reason(s) block it",
                reasons,
            )
        recap_position = int(
            tx.scalar("SELECT position FROM projection_position WHERE name = 'recap'") or 0
        )
    relied_on = {
        "recap_position": recap_position,
        "plenary_version": plenary.version,
        "children": {c: p.version for c, p in sorted(children.items()) if p is not None},
    }
    verdict = _verdict(t, figures) if t.code == t.contest.region else None
    number = plenary.certify(
        figures=figures,
        signed_by=[s.strip() for s in signed_by],
        refusals=[{"by": r["by"].strip(), "reason": r["reason"].strip()} for r in refusals],
        relied_on=relied_on,
        verdict=verdict,
        actor=actor.to_dict(),
    )
    return _save(ctx, t, plenary, certificate=number, verdict=verdict)


def reopen(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    body: dict[str, Any],
) -> PlenaryOutcome:
    """Reopen a certified plenary and every certified plenary above it (certificates superseded).

    By that tier's authority or one above it in the same region, or by a court order (re-vote,
    re-count, re-recap) with its reference.
    """
    t = _target(ctx, election_id, contest_id, code)
    require_reopener(actor, t.tier, t.code)
    errors = ErrorList()
    reason = _text(body.get("reason"), "reason", errors)
    order = _order(t, body.get("order"), errors)
    if actor.role is Role.COURT and order is None and not errors:
        errors.add("order", "a court reopens by an order {kind, ref}")
    if errors:
        raise InvalidInput("the plenary cannot be reopened", errors.errors)
    plenary = _load(ctx, t)
    who = actor.to_dict()
    plenary.reopen(reason=reason, order=order, actor=who)
    touched = [plenary]
    for above_code in plenaries_above(t.contest, t.code):
        above = ctx.app.get_or_none(Plenary.create_id(election_id, contest_id, above_code))
        if above is None:
            continue
        if above.is_certified:
            above.reopen(
                reason=f"{t.tier} {t.code} reopened: {reason}",
                order=None,
                actor=who,
                cascade_from=t.code,
            )
        else:
            above.note_reopened_below(code=t.code, reason=reason, actor=who)
        touched.append(above)
    reopened = [p.code for p in touched if p.status is PlenaryStatus.REOPENED]
    return _save(ctx, t, *touched, reopened=reopened, order=order)


def record_revote(
    ctx: PlenaryContext,
    actor: Actor,
    election_id: str,
    contest_id: str,
    code: str,
    body: dict[str, Any],
) -> PlenaryOutcome:
    """The result of a court-ordered re-vote (PSU) replaces the TPS's result; the old one stays."""
    t = _target(ctx, election_id, contest_id, code)
    require_plenary_official(actor, t.tier, t.code)
    errors = ErrorList()
    tps_raw = body.get("tps")
    form = None
    try:
        tps = _tps_under(t, tps_raw)
    except (InvalidInput, NotFound) as exc:
        errors.add("tps", exc.message)
        tps = ""
    try:
        form = parse_form(body.get("form"), t.contest.kind, t.contest.candidate_keys)
    except InvalidInput as exc:
        errors.errors.extend(exc.errors)
    if errors:
        raise InvalidInput("the re-vote result cannot be recorded", errors.errors)
    assert form is not None
    plenary = _load(ctx, t)
    plenary.require_open()
    _require_below_certified(ctx, t, tps)
    result = _result(ctx, t, tps)
    before = result.form
    order = plenary.record_revote(
        tps=tps,
        from_version=result.version,
        before=before,
        after=form.to_dict(),
        actor=actor.to_dict(),
    )
    result.revote(
        form=form.to_dict(),
        order=order,
        plenary=_plenary_ref(t, plenary),
        actor=actor.to_dict(),
    )
    return _save(ctx, t, plenary, result, tps=tps, tps_version=result.version)


# -- the lock on KPPS and operator corrections --------------------------------------------------


def correction_guard(app: Rekap) -> Callable[[str, str, str], None]:
    """Once a TPS's kecamatan plenary has opened, only plenaries correct that TPS."""

    def guard(election_id: str, contest_id: str, tps: str) -> None:
        if Plenary.create_id(election_id, contest_id, tps[:6]) in app.repository:
            raise TierLocked(
                f"the kecamatan plenary of {tps[:6]} has opened: TPS {tps} is corrected only "
                "in a plenary now"
            )

    return guard


# -- helpers ----------------------------------------------------------------------------------


def _target(ctx: PlenaryContext, election_id: str, contest_id: str, code: str) -> Target:
    contest = ctx.ref.contest(election_id, contest_id)
    region = normalise(code)
    tier = plenary_tier(contest, region)
    if not _region_exists(ctx, election_id, region):
        raise NotFound(f"no region {region} in election '{election_id}'")
    return Target(contest, region, tier)


def _region_exists(ctx: PlenaryContext, election_id: str, code: str) -> bool:
    if code == NATION:
        return True
    if tier_of(code) is Tier.KECAMATAN:
        return ctx.ref.region_exists(election_id, code)
    sql = f"SELECT 1 FROM {ctx.prefix}region WHERE election_id = %s AND code = %s"
    if ctx.db.scalar(sql, (election_id, code)):
        return True
    _sync(ctx)
    return bool(ctx.db.scalar(sql, (election_id, code)))


def _load(ctx: PlenaryContext, t: Target) -> Plenary:
    plenary = ctx.app.get_or_none(
        Plenary.create_id(t.contest.election_id, t.contest.contest_id, t.code)
    )
    if plenary is None:
        raise Conflict(f"the {t.tier} plenary of {t.code} is not open")
    return plenary


def _save(
    ctx: PlenaryContext, t: Target, plenary: Plenary, *others: Any, **extra: Any
) -> PlenaryOutcome:
    try:
        position = ctx.app.save_and_position(plenary, *others)
    except IntegrityError:
        raise Conflict(
            f"the {t.tier} plenary of {t.code} (or a result it touches) changed meanwhile; "
            "nothing was recorded: read it again and retry"
        ) from None
    return PlenaryOutcome(
        t.contest.election_id,
        t.contest.contest_id,
        t.code,
        t.tier.value,
        plenary.status.value,
        plenary.version,
        position,
        {k: v for k, v in extra.items() if v is not None},
    )


def _sync(ctx: PlenaryContext) -> None:
    """Bring the read models up to the log's head as it is now (read-your-writes for commands)."""
    head = ctx.runner.head()
    if ctx.runner.position() >= head:
        return
    try:
        ctx.runner.catch_up()
    except Exception as exc:  # another runner got the batch first: wait for it
        log.info("catching up in a command deferred to the projection process: %s", exc)
    if not ctx.runner.wait_for(head, timeout=SYNC_TIMEOUT):
        raise Conflict("the recap is still catching up with the log; retry in a moment")


def _correct(
    ctx: PlenaryContext, t: Target, plenary: Plenary, actor: Actor, body: dict[str, Any]
) -> TpsResult:
    """Record a correction on the plenary and on the TPS result (both saved by the caller)."""
    errors = ErrorList()
    tps = ""
    try:
        tps = _tps_under(t, body.get("tps"))
    except (InvalidInput, NotFound) as exc:
        errors.add("tps", exc.message)
    reason = _text(body.get("reason"), "reason", errors)
    objection_id = body.get("objection_id")
    if objection_id is not None and not isinstance(objection_id, str):
        errors.add("objection_id", "an objection id or null")
    form = None
    try:
        form = parse_form(body.get("form"), t.contest.kind, t.contest.candidate_keys)
    except InvalidInput as exc:
        errors.errors.extend(exc.errors)
    if errors:
        raise InvalidInput("the correction cannot be accepted", errors.errors)
    assert form is not None
    plenary.require_open()
    _require_below_certified(ctx, t, tps)
    result = _result(ctx, t, tps)
    plenary.record_correction(
        tps=tps,
        from_version=result.version,
        before=result.form,
        after=form.to_dict(),
        reason=reason,
        objection_id=objection_id,
        actor=actor.to_dict(),
    )
    result.correct(
        form=form.to_dict(),
        reason=reason,
        expected_version=result.version,
        actor=actor.to_dict(),
        objection_id=objection_id,
        plenary=_plenary_ref(t, plenary),
    )
    return result


def _plenary_ref(t: Target, plenary: Plenary) -> dict[str, Any]:
    return {"code": t.code, "tier": t.tier.value, "version": plenary.version}


def _require_below_certified(ctx: PlenaryContext, t: Target, tps: str) -> None:
    """A plenary corrects a TPS only when every plenary between them has certified."""
    for code in plenaries_below(t.contest, tps, t.code):
        below = ctx.app.get_or_none(
            Plenary.create_id(t.contest.election_id, t.contest.contest_id, code)
        )
        status = below.status if below is not None else PlenaryStatus.NOT_OPEN
        if status is not PlenaryStatus.CERTIFIED:
            raise Conflict(
                f"TPS {tps} is corrected in the {tier_of(code)} plenary of {code} until it "
                f"certifies (it is {status.value})"
            )


def _result(ctx: PlenaryContext, t: Target, tps: str) -> TpsResult:
    result = ctx.app.get_or_none(
        TpsResult.create_id(t.contest.election_id, t.contest.contest_id, tps)
    )
    if result is None:
        raise NotFound(f"TPS {tps} has no result in {t.contest.contest_id}")
    return result


def _tps_under(t: Target, raw: object) -> str:
    code = normalise(raw)
    if tier_of(code) is not Tier.TPS:
        raise InvalidInput(f"'{raw}' is not a TPS code (13 digits)")
    if not is_within(code, t.code):
        raise InvalidInput(f"TPS {code} is not under the plenary of {t.code}")
    return code


def _objection_target(
    ctx: PlenaryContext, t: Target, subject: ObjectionSubject, raw: object, errors: ErrorList
) -> str | None:
    try:
        code = normalise(raw)
    except InvalidInput as exc:
        errors.add("target", exc.message)
        return None
    if subject is ObjectionSubject.TPS:
        if tier_of(code) is not Tier.TPS or not is_within(code, t.code):
            errors.add("target", f"a TPS under {t.code}")
            return None
        try:
            ctx.ref.tps_dpt(t.contest.election_id, code)
        except NotFound as exc:
            errors.add("target", exc.message)
            return None
        return code
    if code == t.code or not is_within(code, t.code) or tier_of(code) is Tier.TPS:
        errors.add("target", f"a region under {t.code} (a child whose figures are disputed)")
        return None
    return code


def _carried_objection(ctx: PlenaryContext, t: Target, objection_id: str) -> dict[str, Any]:
    """The objection refused by a child plenary that this plenary now has to resolve."""
    for child in _child_plenaries(ctx, t).values():
        if child is None:
            continue
        for objection in child.carried_up():
            if objection["id"] == objection_id:
                return {k: v for k, v in objection.items() if k != "resolution"} | {
                    "refused_at": objection["resolution"]["at_plenary"],
                    "refusal_note": objection["resolution"]["note"],
                }
    raise NotFound(f"no objection {objection_id} in the plenary of {t.code} or carried up to it")


def _child_plenaries(ctx: PlenaryContext, t: Target) -> dict[str, Plenary | None]:
    if t.tier is Tier.KECAMATAN:
        return {}
    rows = ctx.db.query(
        f"SELECT code FROM {ctx.prefix}region WHERE election_id = %s AND parent = %s ORDER BY code",
        (t.contest.election_id, t.code),
    )
    eid, cid = t.contest.election_id, t.contest.contest_id
    return {
        r["code"]: ctx.app.get_or_none(Plenary.create_id(eid, cid, r["code"]))
        for r in rows
        if is_within(r["code"], t.contest.region)
    }


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
        for o in child.carried_up()
        if o["id"] not in plenary.carried
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
        open_objections=plenary.open_objections(),
        carried_objections=carried,
        unanswered_recommendations=plenary.unanswered_recommendations(),
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
    accepted |= {(a["tps"], a["result_version"]) for a in plenary.accepted.values()}
    return {
        r["tps"]: sorted(
            {a["rule"] for a in json.loads(r["anomalies"]) if a["severity"] == Severity.HARD}
        )
        for r in rows
        if (r["tps"], r["version"]) not in accepted
    }


def _figures(ctx: PlenaryContext, tx: Tx, t: Target) -> dict[str, Any]:
    """The exact figures under the plenary now: in total, per child, and (kecamatan) per TPS."""
    eid, cid, p = t.contest.election_id, t.contest.contest_id, ctx.prefix
    regions = tx.query(
        f"SELECT code, name, tier, tps_total, dpt FROM {p}region WHERE election_id = %s "
        "AND (code = %s OR parent = %s) ORDER BY code",
        (eid, t.code, t.code),
    )
    codes = [r["code"] for r in regions]
    sums = {
        r["code"]: (json.loads(r["sums"]), r["tps_reported"])
        for r in tx.query(
            f"SELECT code, sums, tps_reported FROM {p}recap_total WHERE election_id = %s "
            f"AND contest_id = %s AND code IN ({', '.join(['%s'] * len(codes))})",
            (eid, cid, *codes),
        )
    }
    entries = {r["code"]: _entry(t.contest, r, *sums.get(r["code"], ({}, 0))) for r in regions}
    figures: dict[str, Any] = {
        "total": entries.pop(t.code),
        "children": [entries[c] for c in sorted(entries)],
    }
    if t.tier is Tier.KECAMATAN:
        figures["tps"] = _tps_figures(ctx, tx, t)
    return figures


def _entry(
    contest: Contest, region: dict[str, Any], sums: dict[str, int], reported: int
) -> dict[str, Any]:
    return {
        "code": region["code"],
        "name": region["name"],
        "tier": region["tier"],
        "dpt": region["dpt"],
        "tps_total": region["tps_total"],
        "tps_reported": reported,
        "votes": {k: sums.get(f"votes.{k}", 0) for k in contest.candidate_keys},
        "valid": sums.get("valid", 0),
        "invalid": sums.get("invalid", 0),
        "total": sums.get("total", 0),
        "figures": unflatten(sums) if sums else None,
    }


def _tps_figures(ctx: PlenaryContext, tx: Tx, t: Target) -> list[dict[str, Any]]:
    eid, cid, p = t.contest.election_id, t.contest.contest_id, ctx.prefix
    tps = tx.query(
        f"SELECT code, dpt FROM {p}region WHERE election_id = %s AND tier = 'tps' "
        "AND code >= %s AND code < %s ORDER BY code",
        (eid, t.code, t.code + "~"),
    )
    results = {
        r["tps"]: r
        for r in tx.query(
            f"SELECT tps, version, form FROM {p}result_current WHERE election_id = %s "
            "AND contest_id = %s AND tps >= %s AND tps < %s",
            (eid, cid, t.code, t.code + "~"),
        )
    }
    rows = []
    for region in tps:
        found = results.get(region["code"])
        if found is None:
            rows.append({"code": region["code"], "dpt": region["dpt"], "version": None})
            continue
        form = json.loads(found["form"])
        rows.append(
            {
                "code": region["code"],
                "dpt": region["dpt"],
                "version": found["version"],
                "votes": form["votes"],
                "valid": form["valid"],
                "invalid": form["invalid"],
                "total": form["total"],
            }
        )
    return rows


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


def _order(t: Target, raw: object, errors: ErrorList) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        errors.add("order", "an object {kind, ref}")
        return None
    kind = _choice(OrderKind, raw.get("kind"), "order.kind", errors)
    ref = _text(raw.get("ref"), "order.ref", errors)
    tps_list: list[str] = []
    for i, code in enumerate(raw.get("tps") or []):
        try:
            tps_list.append(_tps_under(t, code))
        except (InvalidInput, NotFound) as exc:
            errors.add(f"order.tps.{i}", exc.message)
    for key in raw:
        if key not in ("kind", "ref", "tps"):
            errors.add(f"order.{key}", "unknown field")
    if kind is None:
        return None
    return {"kind": kind.value, "ref": ref, "tps": tps_list}


def _text(value: object, name: str, errors: ErrorList) -> str:
    if not isinstance(value, str) or not value.strip():
        errors.add(name, "a non-empty text")
        return ""
    if len(value) > MAX_TEXT:
        errors.add(name, f"at most {MAX_TEXT} characters")
    return value.strip()


def _choice(enum: Any, value: object, name: str, errors: ErrorList) -> Any:
    try:
        return enum(value)
    except ValueError:
        errors.add(name, f"one of {', '.join(e.value for e in enum)}")
        return None
