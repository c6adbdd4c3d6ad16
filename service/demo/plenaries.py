"""The demo's plenaries: part of the province carried through the staged recap, so that a
newcomer finds every state (not open, open, certified, reopened) and every kind of record.

- Kepulauan Seribu (3101): both kecamatan certified (310102 once reopened for a re-recap and
  certified again, so its first certificate is superseded), then the kab/kota certified.
- Kecamatan 317102 (Jakarta Pusat): a witness's objection to the OCR misread of TPS
  3171021003028 (652 voters for 152) accepted, with the correction it leads to; a procedural
  objection not accepted, carried up to the kab/kota; certified with a refusal to sign.
- 317101 certified, then reopened by KPU Jakarta Pusat; Jakarta Pusat (3171) open, with the
  carried objection still to resolve. The province and the other kab/kota are not open.

No correction moves a vote: the province's totals stay the certified 2024 result.
"""

from __future__ import annotations

import copy
from typing import Any

from domain.access import Actor, Role
from domain.tps_result import TpsResult
from service.bootstrap import Services
from service.demo import jakarta
from service.input import load
from service.input import plenary as given
from service.usecases import plenary as use

SIGNERS = ["Ketua (demo)", "Anggota 1 (demo)", "Anggota 2 (demo)"]


def official(code: str) -> Actor:
    role = {6: Role.PPK, 4: Role.KPU_KABKOTA, 2: Role.KPU_PROVINSI}[len(code)]
    return Actor(
        id=f"demo-{role.value}-{code}", role=role, scope=code, name=f"{role} {code} (demo)"
    )


def hold_plenaries(services: Services) -> None:
    ctx = services.plenary
    eid, cid = jakarta.ELECTION["id"], jakarta.CONTEST["id"]

    def run(code: str, step: str, *args: Any) -> use.PlenaryOutcome:
        return getattr(use, step)(ctx, official(code), eid, cid, code, *args)

    def certify(code: str, refusals: list[dict[str, str]] | None = None) -> None:
        body = {"signed_by": SIGNERS, "refusals": refusals or []}
        run(code, "certify", load(given.CertificationSchema, body))

    for code in ("310101", "310102"):
        run(code, "open_plenary")
        certify(code)
    reason = "rekapitulasi ulang: berita acara desa tertukar"
    run("310102", "reopen", load(given.ReopenSchema, {"reason": reason}))
    certify("310102")
    run("3101", "open_plenary")
    certify("3101")

    witness = Actor(
        "demo-saksi-1-3171",
        Role.SAKSI,
        "3171",
        cid,
        1,
        name="Saksi paslon 1, Jakarta Pusat (demo)",
    )
    run("317102", "open_plenary")
    misread = jakarta.VOTERS_MISREAD_TPS

    def objection(body: dict[str, Any], resolution: dict[str, Any]) -> None:
        """The witness's objection at 317102, then the PPK's resolution of it."""
        raised = use.raise_objection(
            ctx, witness, eid, cid, "317102", load(given.ObjectionSchema, body)
        )
        command = load(given.ResolutionSchema, resolution)
        run("317102", "resolve_objection", given.resolution(raised.extra["objection_id"], command))

    objection(
        {
            "subject": "tps",
            "target": misread,
            "detail": "Pemilih DPT yang memilih tertulis 652, melebihi DPT; C.Hasil plano: 152",
        },
        {
            "accepted": True,
            "note": "Dicocokkan dengan C.Hasil plano: salah baca OCR",
            "correction": {
                "tps": misread,
                "form": _misread_fixed(services, eid, cid, misread),
                "reason": "Salah baca OCR pemilih DPT (652 -> 152), sesuai C.Hasil plano",
            },
        },
    )
    objection(
        {"subject": "procedure", "detail": "Saksi tidak menerima salinan C.Hasil di 3 TPS"},
        {"accepted": False, "note": "Salinan tersedia di PPS; keberatan dicatat"},
    )
    certify("317102", [{"by": witness.name, "reason": "keberatan prosedur tidak diterima"}])

    run("317101", "open_plenary")
    certify("317101")
    reason = "KPU Kota meminta pencocokan ulang 2 TPS"
    run("317101", "reopen", load(given.ReopenSchema, {"reason": reason}))
    run("3171", "open_plenary")


def _misread_fixed(services: Services, eid: str, cid: str, tps: str) -> dict[str, Any]:
    """The form with its voters read as written on paper: J = L + P again, votes unchanged."""
    form = copy.deepcopy(services.app.repository.get(TpsResult.create_id(eid, cid, tps)).form)
    row = form["voted"]["dpt"]
    row["j"] = row["l"] + row["p"]
    return form
