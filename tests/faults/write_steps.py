"""The write endpoints in the order a contest lives them, each with a valid body for the state
a walk (walk.py) has reached: election, regions, contest, evidence, submissions, bulk,
corrections, then every plenary write of kecamatan 910101 up to its certification, its
reopening by court order and the re-vote. Which parts of each body a client chooses (text,
numbers, flags, forms, path segments) is what the hostile variants (hostile.py) replace.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.factories import CONTEST, DPT, GUBERNUR, TPS, TREE, pilkada_form

if TYPE_CHECKING:
    from tests.faults.walk import Walk

PLENARY = "plenaries/910101"
KEC_TPS = TPS[:3]  # the TPS of kecamatan 910101
ANOMALOUS = TPS[2]  # submitted with a hard anomaly (R4), accepted in the plenary
BULK_TPS = TPS[3]
CORRECTED_TPS = TPS[3]  # kecamatan 910102: its plenary never opens here
VOTES = {TPS[0]: {"1": 50, "2": 40, "3": 30}, TPS[1]: {"1": 60, "2": 30, "3": 20}}


def form(tps: str, shift: int = 0) -> dict[str, Any]:
    votes = VOTES.get(tps, {"1": 70, "2": 50, "3": 40})
    return pilkada_form(DPT[tps], {**votes, "1": votes["1"] + shift})


def anomalous_form(tps: str) -> dict[str, Any]:
    document = form(tps)
    document["votes"]["1"] += 5  # R4: the votes no longer add up to the valid votes
    return document


@dataclass
class Step:
    """One write endpoint, with a valid body for the state the walk has reached."""

    name: str
    method: str
    path: str  # under /api/v1/elections/{eid}, or absolute when it starts with /api
    token: str  # a key of Walk.tokens
    body: Callable[[Walk], Any] | None
    text: tuple[str, ...] = ()  # dotted paths of text fields in the body
    numbers: tuple[str, ...] = ()  # dotted paths of number fields
    flags: tuple[str, ...] = ()  # dotted paths of boolean fields
    forms: tuple[str, ...] = ()  # dotted paths of C.Hasil forms (their votes get duplicate keys)
    path_params: tuple[str, ...] = ()  # parts of the path a client chooses
    if_match: bool = False
    ok: tuple[int, ...] = (201,)
    remember: Callable[[Walk, Any], None] | None = None


def step_list() -> list[Step]:
    tps0, tps1 = TPS[0], TPS[1]
    return [
        Step(
            "create election",
            "POST",
            "/api/v1/elections",
            "admin",
            lambda w: {"id": w.election, "name": "Pemilihan Uji"},
            text=("id", "name"),
        ),
        Step(
            "load regions",
            "PUT",
            "regions",
            "admin",
            lambda w: copy.deepcopy(TREE),
            text=("regions.0.code", "regions.1.name", "tps.0.code"),
            numbers=("tps.0.dpt",),
            ok=(200,),
        ),
        Step(
            "define contest",
            "POST",
            "contests",
            "admin",
            lambda w: copy.deepcopy(GUBERNUR),
            text=("id", "kind", "region", "winner_rule", "name", "candidates.0.name"),
            numbers=("candidates.0.number",),
        ),
        Step("upload evidence", "POST", "/api/v1/evidence", "operator", None, ok=(201, 200)),
        Step(
            "submit",
            "POST",
            f"contests/{CONTEST}/tps/{tps0}/submissions",
            "operator",
            lambda w: {
                "submission_id": f"{w.election}-{tps0}",
                "captured_at": "2024-11-27T14:05:00+07:00",
                "form": form(tps0),
                "evidence": [{"page": 1, "sha256": w.evidence}],
            },
            text=("submission_id", "captured_at", "evidence.0.sha256"),
            numbers=("form.votes.1", "evidence.0.page"),
            forms=("form",),
            path_params=(tps0,),
        ),
        Step(
            "bulk import",
            "POST",
            f"contests/{CONTEST}/submissions:bulk",
            "operator",
            lambda w: [
                {"tps": BULK_TPS, "submission_id": f"{w.election}-bulk", "form": form(BULK_TPS)}
            ],
            text=("0.tps", "0.submission_id"),
            numbers=("0.form.registered.dpt.l",),
            forms=("0.form",),
            ok=(200,),
        ),
        Step(
            "correct",
            "POST",
            f"contests/{CONTEST}/tps/{CORRECTED_TPS}/corrections",
            "operator",
            lambda w: {
                "form": form(CORRECTED_TPS, shift=1),
                "reason": "dibaca ulang dari foto C.Hasil",
                "request_id": f"{w.election}-fix",
            },
            text=("reason", "request_id"),
            numbers=("form.total",),
            forms=("form",),
            path_params=(CORRECTED_TPS,),
            if_match=True,
        ),
        Step(
            "open plenary",
            "POST",
            f"contests/{CONTEST}/{PLENARY}/open",
            "ppk",
            None,
            path_params=("910101",),
        ),
        Step(
            "raise objection",
            "POST",
            f"contests/{CONTEST}/{PLENARY}/objections",
            "saksi",
            lambda w: {"subject": "tps", "target": tps0, "detail": "suara paslon 1 kurang 5"},
            text=("subject", "target", "detail"),
            remember=lambda w, a: w.ids.update(objection=a["objection_id"]),
        ),
        Step(
            "resolve objection",
            "POST",
            f"contests/{CONTEST}/{PLENARY}/objections/{{objection}}/resolution",
            "ppk",
            lambda w: {
                "accepted": True,
                "note": "dihitung ulang, terbukti",
                "correction": {"tps": tps0, "form": form(tps0, shift=2), "reason": "hitung ulang"},
            },
            text=("note", "correction.tps", "correction.reason"),
            numbers=("correction.form.votes.1",),
            flags=("accepted",),
            forms=("correction.form",),
            path_params=("{objection}",),
        ),
        Step(
            "record recommendation",
            "POST",
            f"contests/{CONTEST}/{PLENARY}/recommendations",
            "bawaslu",
            lambda w: {"text": "periksa ulang segel kotak TPS 001"},
            text=("text",),
            remember=lambda w, a: w.ids.update(recommendation=a["recommendation_id"]),
        ),
        Step(
            "answer recommendation",
            "POST",
            f"contests/{CONTEST}/{PLENARY}/recommendations/{{recommendation}}/answer",
            "ppk",
            lambda w: {"followed": True, "answer": "segel diperiksa, utuh"},
            text=("answer",),
            flags=("followed",),
            path_params=("{recommendation}",),
        ),
        Step(
            "correct in plenary",
            "POST",
            f"contests/{CONTEST}/{PLENARY}/corrections",
            "ppk",
            lambda w: {"tps": tps1, "form": form(tps1, shift=3), "reason": "salah baca"},
            text=("tps", "reason"),
            numbers=("form.invalid",),
            forms=("form",),
        ),
        Step(
            "accept anomaly",
            "POST",
            f"contests/{CONTEST}/{PLENARY}/anomalies/{ANOMALOUS}/acceptance",
            "ppk",
            lambda w: {"reason": "sesuai fisik kotak suara"},
            text=("reason",),
            path_params=(ANOMALOUS,),
        ),
        Step(
            "certify",
            "POST",
            f"contests/{CONTEST}/{PLENARY}/certification",
            "ppk",
            lambda w: {
                "signed_by": ["Ketua PPK", "Anggota 1"],
                "refusals": [{"by": "Saksi paslon 2", "reason": "menolak hasil"}],
            },
            text=("signed_by.0", "refusals.0.by", "refusals.0.reason"),
        ),
        Step(
            "reopen by court order",
            "POST",
            f"contests/{CONTEST}/{PLENARY}/reopen",
            "court",
            lambda w: {
                "reason": "pemungutan suara ulang",
                "order": {"kind": "re_vote", "ref": "MK 123/PHP.GUB/2025", "tps": [tps0]},
            },
            text=("reason", "order.kind", "order.ref", "order.tps.0"),
        ),
        Step(
            "record re-vote",
            "POST",
            f"contests/{CONTEST}/{PLENARY}/revotes",
            "ppk",
            lambda w: {"tps": tps0, "form": form(tps0, shift=4)},
            text=("tps",),
            numbers=("form.votes.2",),
            forms=("form",),
        ),
    ]
