"""A small election whose every free text is hostile: what witnesses, KPPS and officials type
(names, reasons, objections, notes) shown on a public page must stay text, never markup."""

from __future__ import annotations

import copy
from typing import Any

from domain.access import SYSTEM, Actor, Role
from service.bootstrap import Services
from service.input import elections as given_elections
from service.input import load
from service.input import plenary as given_plenary
from service.input import results as given_results
from service.usecases import plenary as use
from service.usecases.elections import create_election, define_contest, load_regions
from service.usecases.results import correct, submit
from tests.factories import CONTEST, DPT, ELECTION, GUBERNUR, TREE, pilkada_form, submission

# Each would set window.__pwned if the page ever let it run.
SCRIPT = "<script>window.__pwned = 1</script>"
JAVASCRIPT_LINK = "javascript:window.__pwned = 2"
BROKEN_OUT = '"\'><img src=x onerror="window.__pwned = 3">'
HOSTILE = (SCRIPT, JAVASCRIPT_LINK, BROKEN_OUT)
KECAMATAN = "910101"
TPS = "9101011001001"


def plant_hostile_text(services: Services) -> None:
    """The test election (province 91) with hostile names, a corrected result, and a certified
    kecamatan plenary whose objection, note and refusal are hostile."""
    contest = copy.deepcopy(GUBERNUR)
    contest["name"] = f"Pilgub {SCRIPT}"
    contest["candidates"][0]["name"] = JAVASCRIPT_LINK
    contest["candidates"][1]["name"] = f"Pasangan {BROKEN_OUT}"
    tree = copy.deepcopy(TREE)
    for region in tree["regions"]:
        if region["code"] == KECAMATAN:
            region["name"] = f"KEC {SCRIPT}"
        if region["code"] == TPS[:10]:
            region["name"] = JAVASCRIPT_LINK
    create_election(
        services.setup,
        SYSTEM,
        given_elections.election({"id": ELECTION, "name": f"Pemilu {BROKEN_OUT}"}),
    )
    load_regions(services.setup, SYSTEM, ELECTION, [tree])
    define_contest(services.setup, SYSTEM, ELECTION, given_elections.contest(contest))

    operator = Actor("op-9101", Role.OPERATOR, "9101", name=f"Operator {SCRIPT}")
    under = [t for t in DPT if t.startswith(KECAMATAN)]
    for tps in under:
        form = pilkada_form(DPT[tps], {"1": 50, "2": 40, "3": 30})
        submit(
            services.results,
            operator,
            ELECTION,
            CONTEST,
            given_results.submission(tps, submission(form)),
        )
    fixed = pilkada_form(DPT[TPS], {"1": 51, "2": 40, "3": 29})
    correct(
        services.results,
        operator,
        ELECTION,
        CONTEST,
        given_results.correction(
            TPS, {"form": fixed, "reason": f"dibaca ulang {SCRIPT} {JAVASCRIPT_LINK}"}, 1
        ),
    )

    ppk = Actor(f"ppk-{KECAMATAN}", Role.PPK, KECAMATAN, name=f"PPK {BROKEN_OUT}")
    witness = Actor("saksi-1", Role.SAKSI, "91", CONTEST, 1, name=f"Saksi {SCRIPT}")
    ctx = services.plenary
    use.open_plenary(ctx, ppk, ELECTION, CONTEST, KECAMATAN)
    objections = [
        {"subject": "tps", "target": TPS, "detail": f"Keberatan {SCRIPT} {BROKEN_OUT}"},
        {"subject": "procedure", "target": JAVASCRIPT_LINK, "detail": JAVASCRIPT_LINK},
    ]
    raised = [
        use.raise_objection(
            ctx, witness, ELECTION, CONTEST, KECAMATAN, load(given_plenary.ObjectionSchema, body)
        )
        for body in objections
    ]
    for objection in raised:
        use.resolve_objection(
            ctx,
            ppk,
            ELECTION,
            CONTEST,
            KECAMATAN,
            given_plenary.resolution(
                objection.extra["objection_id"],
                load(
                    given_plenary.ResolutionSchema, {"accepted": False, "note": f"Ditolak {SCRIPT}"}
                ),
            ),
        )
    use.certify(
        ctx,
        ppk,
        ELECTION,
        CONTEST,
        KECAMATAN,
        load(
            given_plenary.CertificationSchema,
            {
                "signed_by": [f"Ketua {SCRIPT}"],
                "refusals": [{"by": witness.name, "reason": SCRIPT}],
            },
        ),
    )
    services.runner.catch_up()


def pages() -> dict[str, Any]:
    base = f"/pemilu/{ELECTION}/{CONTEST}"
    return {
        "home": "/",
        "province": f"{base}/wilayah/91",
        "kecamatan": f"{base}/wilayah/{KECAMATAN}",
        "desa": f"{base}/wilayah/{TPS[:10]}",
        "tps": f"{base}/tps/{TPS}",
        "history": f"{base}/wilayah/{KECAMATAN}/riwayat",
        "search": "/cari?q=" + "%3Cscript%3E",
        "certificate": (
            f"/api/v1/elections/{ELECTION}/contests/{CONTEST}/plenaries/{KECAMATAN}"
            "/certificate?format=html"
        ),
    }
