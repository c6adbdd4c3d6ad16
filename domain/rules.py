"""The consistency rules of the C.Hasil form (domain.md section 4), one small function each.

Each rule looks at one form and reports an Anomaly per breach: the rule, its severity, the fields
at fault and a message a plenary official can read out. Hard rules are printed on the form (a
breach must be corrected or explicitly accepted before a plenary certifies); soft rules flag what
is suspicious. R11 (every box 0-999) is a schema rule: a form breaking it is refused, not stored.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# R11 (every box of the form holds 0 to 999) is the form's own shape: a form that breaks it is
# refused as it is read (domain/form.py), never stored with an anomaly.
from domain.form import Form, Split

BALLOT_RESERVE = 0.02


class Severity(StrEnum):
    HARD = "hard"
    SOFT = "soft"


@dataclass(frozen=True)
class Anomaly:
    rule: str
    severity: Severity
    fields: tuple[str, ...]
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "fields": list(self.fields),
            "message": self.message,
        }


def r1_split_rows_add_up(form: Form) -> list[Anomaly]:
    """R1: J = L + P on every row split by sex."""
    rows: list[tuple[str, Split]] = [
        *((f"registered.{k}", v) for k, v in form.registered.items()),
        *((f"voted.{k}", v) for k, v in form.voted.items()),
        ("disabled_voted", form.disabled_voted),
    ]
    return [
        Anomaly(
            "R1",
            Severity.HARD,
            (f"{name}.l", f"{name}.p", f"{name}.j"),
            f"{name}: L {row.l} + P {row.p} = {row.l + row.p}, but J is {row.j}",
        )
        for name, row in rows
        if row.j != row.l + row.p
    ]


def r2_voters_add_up(form: Form) -> list[Anomaly]:
    """R2: the form's total of voters (B.4) = the sum of the voter lists (B.1 + B.2 + B.3)."""
    found = []
    lists = form.voter_lists
    for col in ("l", "p", "j"):
        parts = [getattr(form.voted[k], col) for k in lists]
        total = getattr(form.voted["total"], col)
        if total != sum(parts):
            found.append(
                Anomaly(
                    "R2",
                    Severity.HARD,
                    (*(f"voted.{k}.{col}" for k in lists), f"voted.total.{col}"),
                    f"voters ({col.upper()}): {' + '.join(map(str, parts))} = {sum(parts)}, "
                    f"but the total row says {total}",
                )
            )
    return found


def r3_voters_within_registered(form: Form) -> list[Anomaly]:
    """R3: voters from a list <= voters registered on it (B.1 <= A)."""
    found = []
    for name, registered in form.registered.items():
        voted = form.voted.get(name)
        if voted is None:
            continue
        for col in ("l", "p", "j"):
            came, listed = getattr(voted, col), getattr(registered, col)
            if came > listed:
                found.append(
                    Anomaly(
                        "R3",
                        Severity.HARD,
                        (f"voted.{name}.{col}", f"registered.{name}.{col}"),
                        f"{came} voted from the {name.upper()} ({col.upper()}) but only "
                        f"{listed} are registered on it",
                    )
                )
    return found


def r4_votes_add_up_to_valid(form: Form) -> list[Anomaly]:
    """R4: the sum of the candidates' votes = valid votes (V.A)."""
    total = sum(form.votes.values())
    if total == form.valid:
        return []
    return [
        Anomaly(
            "R4",
            Severity.HARD,
            (*(f"votes.{k}" for k in form.votes), "valid"),
            f"candidates' votes add up to {total}, but valid votes are {form.valid}",
        )
    ]


def r5_valid_plus_invalid_is_total(form: Form) -> list[Anomaly]:
    """R5: valid + invalid = total votes (V.A + V.B = V.C)."""
    if form.valid + form.invalid == form.total:
        return []
    return [
        Anomaly(
            "R5",
            Severity.HARD,
            ("valid", "invalid", "total"),
            f"valid {form.valid} + invalid {form.invalid} = {form.valid + form.invalid}, "
            f"but the total is {form.total}",
        )
    ]


def r6_total_is_ballots_used(form: Form) -> list[Anomaly]:
    """R6: total votes = ballots used (a mismatch is a legal ground for a recount)."""
    used = form.ballots["used"]
    if form.total == used:
        return []
    return [
        Anomaly(
            "R6",
            Severity.HARD,
            ("total", "ballots.used"),
            f"total votes {form.total} differ from ballots used {used}",
        )
    ]


def r7_ballots_used_is_voters(form: Form) -> list[Anomaly]:
    """R7: ballots used = voters who voted (II.2 = B.4)."""
    used, voters = form.ballots["used"], form.voted["total"].j
    if used == voters:
        return []
    return [
        Anomaly(
            "R7",
            Severity.HARD,
            ("ballots.used", "voted.total.j"),
            f"ballots used {used} differ from voters who voted {voters}",
        )
    ]


def r8_ballots_add_up(form: Form) -> list[Anomaly]:
    """R8: ballots received = used + returned + unused."""
    b = form.ballots
    accounted = b["used"] + b["returned"] + b["unused"]
    if b["received"] == accounted:
        return []
    return [
        Anomaly(
            "R8",
            Severity.HARD,
            ("ballots.received", "ballots.used", "ballots.returned", "ballots.unused"),
            f"received {b['received']}, but used + returned + unused = {accounted}",
        )
    ]


def ballot_allowance(dpt: int) -> int:
    """Ballots a TPS receives: its DPT plus the 2% reserve, rounded up."""
    return dpt + math.ceil(dpt * BALLOT_RESERVE)


def r9_within_dpt_and_reserve(form: Form) -> list[Anomaly]:
    """R9 (soft): ballots received and votes cast <= DPT + 2% reserve."""
    allowance = ballot_allowance(form.registered["dpt"].j)
    found = []
    if form.ballots["received"] > allowance:
        found.append(
            Anomaly(
                "R9",
                Severity.SOFT,
                ("ballots.received", "registered.dpt.j"),
                f"{form.ballots['received']} ballots received, more than DPT + 2% ({allowance})",
            )
        )
    if form.total > allowance:
        found.append(
            Anomaly(
                "R9",
                Severity.SOFT,
                ("total", "registered.dpt.j"),
                f"{form.total} votes cast, more than DPT + 2% ({allowance})",
            )
        )
    return found


def r10_disabled_within_voters(form: Form) -> list[Anomaly]:
    """R10 (soft): disabled voters who voted <= all voters who voted."""
    disabled, voters = form.disabled_voted.j, form.voted["total"].j
    if disabled <= voters:
        return []
    return [
        Anomaly(
            "R10",
            Severity.SOFT,
            ("disabled_voted.j", "voted.total.j"),
            f"{disabled} disabled voters voted, more than all {voters} voters",
        )
    ]


def r12_party_totals_add_up(form: Form) -> list[Anomaly]:
    """R12 (DPR, DPRD): a party's total = its party-only votes + its candidates' votes, and the
    valid votes (V.A) = the sum of the party totals."""
    found = []
    for party, box in form.votes.items():
        candidates = box["candidates"]
        written = box["party"] + sum(candidates.values())
        if written != box["total"]:
            found.append(
                Anomaly(
                    "R12",
                    Severity.HARD,
                    (
                        f"votes.{party}.party",
                        *(f"votes.{party}.candidates.{c}" for c in candidates),
                        f"votes.{party}.total",
                    ),
                    f"party {party}: party-only {box['party']} + candidates "
                    f"{written - box['party']} = {written}, but its total says {box['total']}",
                )
            )
    totals = sum(box["total"] for box in form.votes.values())
    if totals != form.valid:
        found.append(
            Anomaly(
                "R12",
                Severity.HARD,
                (*(f"votes.{p}.total" for p in form.votes), "valid"),
                f"the party totals add up to {totals}, but valid votes are {form.valid}",
            )
        )
    return found


FORM_RULES: tuple[Callable[[Form], list[Anomaly]], ...] = (
    r1_split_rows_add_up,
    r2_voters_add_up,
    r3_voters_within_registered,
    r4_votes_add_up_to_valid,
    r5_valid_plus_invalid_is_total,
    r6_total_is_ballots_used,
    r7_ballots_used_is_voters,
    r8_ballots_add_up,
    r9_within_dpt_and_reserve,
    r10_disabled_within_voters,
)


# DPR and DPRD forms: R12 says for the party totals what R4 says for a paslon's votes.
PARTY_FORM_RULES = tuple(
    r12_party_totals_add_up if rule is r4_votes_add_up_to_valid else rule for rule in FORM_RULES
)


def check_form(form: Form) -> list[Anomaly]:
    """Every breach of R1-R10 (R12 in place of R4 on a DPR or DPRD form), in rule order."""
    rules = PARTY_FORM_RULES if form.by_party else FORM_RULES
    return [anomaly for rule in rules for anomaly in rule(form)]
