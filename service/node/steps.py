"""What the node did, as steps to push: its own events of the kecamatan's results and plenaries
(those not imported from central), read back into the bodies of the API calls that made them.

Events saved together by one call become one step: a correction or a result read in plenary
writes an event of the plenary and one of the TPS (the step is the plenary's); an accepted
objection with its correction writes two events of the plenary (one step). A step's id is the
node's id and the log position of its first event: stable, so a push repeated names it again.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import StoredEvent

from domain.plenary import Plenary
from domain.tps_result import READ_IN_PLENARY, TpsResult
from service.bootstrap import Services
from service.node.local import imported, kecamatan_aggregates, state
from service.store.eventlog import raw_events_of


def node_steps(services: Services) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The node's identity, and every step it did, in the order it did them."""
    node = state(services)
    if node is None:
        raise LookupError("this store is not a node: run `rekap node init FILE` first")
    ids = kecamatan_aggregates(node)
    came = imported(services)
    raw = [
        r
        for r in raw_events_of(services.db, list(ids))
        if (str(r["originator_id"]), r["originator_version"]) not in came
    ]
    events = [(int(r["position"]), _decode(services, r)) for r in raw]  # type: ignore[call-overload]
    steps: list[dict[str, Any]] = []
    skip: set[int] = set()
    for i, (position, event) in enumerate(events):
        if position in skip:
            continue
        step = _step(event)
        if step is None:
            continue
        if step["target"] is None:
            step["target"] = _plenary_code(event, ids)
        following = events[i + 1] if i + 1 < len(events) else None
        if (
            step["kind"] == "resolution"
            and following is not None
            and isinstance(following[1], Plenary.CorrectionRecorded)
            and following[1].originator_id == event.originator_id
            and following[1].objection_id == event.objection_id
        ):
            fix = following[1]
            step["body"]["correction"] = {"tps": fix.tps, "form": fix.after, "reason": fix.reason}
            skip.add(following[0])
        contest = _contest(event, ids)
        steps.append(
            {
                "id": f"{node['node']}:{position}",
                "contest": contest,
                "at": event.timestamp.isoformat(),
                "actor": {k: v for k, v in event.actor.items() if k != "origin"},
                **step,
            }
        )
    return node, steps


def _decode(services: Services, row: dict[str, Any]) -> Any:
    stored = StoredEvent(
        originator_id=row["originator_id"],
        originator_version=row["originator_version"],
        topic=row["topic"],
        state=row["state"],
    )
    return services.app.mapper.to_domain_event(stored)


def _contest(event: Any, ids: dict[Any, str]) -> str:
    return ids[event.originator_id].split("/", 1)[0]


def _plenary_code(event: Any, ids: dict[Any, str]) -> str:
    return ids[event.originator_id].rsplit("/", 1)[1]


def _step(e: Any) -> dict[str, Any] | None:
    """The API call an event came from (kind, target, ref, body); None for an event that is
    part of another step, or that a node never makes itself."""
    if isinstance(e, TpsResult.Submitted):
        if e.source == READ_IN_PLENARY:
            return None  # written with Plenary.ResultRead
        body = {"submission_id": e.submission_id, "form": e.form, "evidence": e.evidence}
        if e.captured_at:
            body["captured_at"] = e.captured_at
        return {"kind": "submission", "target": e.tps, "body": body}
    if isinstance(e, TpsResult.Corrected):
        if e.plenary is not None:
            return None  # written with the plenary's correction
        body = {"form": e.form, "reason": e.reason, "evidence": e.evidence}
        body |= {"objection_id": e.objection_id, "request_id": e.request_id}
        return {
            "kind": "tps_correction",
            "target": e.tps,
            "version": e.corrects_version,
            "body": body,
        }
    return _plenary_step(e)


def _plenary_step(e: Any) -> dict[str, Any] | None:
    if isinstance(e, Plenary.Opened):  # type: ignore[attr-defined]
        return {"kind": "open", "target": e.code, "body": {}}
    found: tuple[str, dict[str, Any], str | None] | None = None
    if isinstance(e, Plenary.ObjectionRaised):
        found = ("objection", {"subject": e.subject, "target": e.target, "detail": e.detail}, None)
    elif isinstance(e, Plenary.ObjectionResolved):
        body = {"accepted": e.accepted, "note": e.note}
        found = ("resolution", body, e.objection_id)
    elif isinstance(e, Plenary.RecommendationRecorded):
        found = ("recommendation", {"text": e.text}, None)
    elif isinstance(e, Plenary.RecommendationAnswered):
        body = {"followed": e.followed, "answer": e.answer}
        found = ("answer", body, e.recommendation_id)
    elif isinstance(e, Plenary.CorrectionRecorded):
        body = {"tps": e.tps, "form": e.after, "reason": e.reason, "objection_id": e.objection_id}
        found = ("correction", body, None)
    elif isinstance(e, Plenary.ResultRead):
        body = {"tps": e.tps, "form": e.form, "reason": e.reason, "evidence": e.evidence}
        found = ("result_read", body, None)
    elif isinstance(e, Plenary.AnomalyAccepted):
        found = ("acceptance", {"reason": e.reason}, e.tps)
    elif isinstance(e, Plenary.Certified):
        certificate = e.certificate
        body = {"signed_by": certificate["signed_by"], "refusals": certificate["refusals"]}
        found = ("certification", body, None)
    elif isinstance(e, Plenary.Reopened) and e.cascade_from is None:
        found = ("reopen", {"reason": e.reason, "order": e.order}, None)
    elif isinstance(e, Plenary.RevoteRecorded):
        found = ("revote", {"tps": e.tps, "form": e.after}, None)
    if found is None:
        return None  # BelowReopened, ResultStepNoted: written by steps above the kecamatan
    kind, body, ref = found
    step: dict[str, Any] = {"kind": kind, "target": None, "body": body}
    if ref is not None:
        step["ref"] = ref
    if kind == "certification":
        step["expect"] = e.certificate["figures"]
    return step
