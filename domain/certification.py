"""When a plenary may certify (domain.md section 5): every reason that blocks it, as pure rules.

Certification is refused while a TPS has no result (kecamatan), a child is not certified (higher
tiers), a hard anomaly under it is neither corrected nor accepted by a plenary with a written
reason, an objection (raised here or carried up from below) is unresolved, or a supervisor's
recommendation is unanswered. Each rule returns every instance it finds, so the officials see
the whole list at once. Refusals to sign are recorded and never block.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.errors import FieldError


@dataclass(frozen=True)
class CertificationFacts:
    """What the plenary knows at the moment it asks to certify."""

    tps_without_result: list[str] = field(default_factory=list)
    children_not_certified: dict[str, str] = field(default_factory=dict)  # code -> status
    unresolved_anomalies: dict[str, list[str]] = field(default_factory=dict)  # tps -> rules
    open_objections: list[dict[str, Any]] = field(default_factory=list)
    carried_objections: list[dict[str, Any]] = field(default_factory=list)
    unanswered_recommendations: list[dict[str, Any]] = field(default_factory=list)


def missing_results(facts: CertificationFacts) -> list[FieldError]:
    return [FieldError(f"tps.{tps}", "no result yet") for tps in facts.tps_without_result]


def uncertified_children(facts: CertificationFacts) -> list[FieldError]:
    return [
        FieldError(f"children.{code}", f"its plenary is {status.replace('_', ' ')}, not certified")
        for code, status in sorted(facts.children_not_certified.items())
    ]


def unresolved_anomalies(facts: CertificationFacts) -> list[FieldError]:
    return [
        FieldError(
            f"anomalies.{tps}",
            f"hard anomaly ({', '.join(rules)}) neither corrected nor accepted with a reason",
        )
        for tps, rules in sorted(facts.unresolved_anomalies.items())
    ]


def unresolved_objections(facts: CertificationFacts) -> list[FieldError]:
    own = [
        FieldError(f"objections.{o['id']}", f"unresolved objection: {o['detail']}")
        for o in facts.open_objections
    ]
    carried = [
        FieldError(
            f"objections.{o['id']}",
            f"objection carried up from {o['origin']} not yet resolved here: {o['detail']}",
        )
        for o in facts.carried_objections
    ]
    return own + carried


def unanswered_recommendations(facts: CertificationFacts) -> list[FieldError]:
    return [
        FieldError(
            f"recommendations.{r['id']}", f"supervisor's recommendation unanswered: {r['text']}"
        )
        for r in facts.unanswered_recommendations
    ]


RULES = (
    missing_results,
    uncertified_children,
    unresolved_anomalies,
    unresolved_objections,
    unanswered_recommendations,
)


def blocking_reasons(facts: CertificationFacts) -> list[FieldError]:
    """Every reason the plenary may not certify now; empty when it may."""
    return [reason for rule in RULES for reason in rule(facts)]
