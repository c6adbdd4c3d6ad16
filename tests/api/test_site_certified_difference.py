"""A kecamatan certified, then a TPS under it corrected in the kab/kota plenary: the
kecamatan's page shows the certified figures, the current ones, the difference and the
correction that explains it."""

from __future__ import annotations

import re

from api.app import create_app
from domain.access import Actor, Role
from service.bootstrap import Services
from service.input import load
from service.input import plenary as given_plenary
from service.input import results as given_results
from service.usecases import plenary as use
from service.usecases.results import submit
from tests.factories import (
    CONTEST,
    DPT,
    ELECTION,
    operator,
    pilkada_form,
    setup_election,
    submission,
)

KECAMATAN, KABKOTA, TPS = "910101", "9101", "9101011001001"


def test_the_certified_kecamatan_shows_the_difference_and_the_correction_that_made_it(
    services: Services,
) -> None:
    setup_election(services)
    for tps in [t for t in DPT if t.startswith(KECAMATAN)]:
        form = pilkada_form(DPT[tps], {"1": 50, "2": 40, "3": 30})
        submit(
            services.results,
            operator("9101"),
            ELECTION,
            CONTEST,
            given_results.submission(tps, submission(form)),
        )
    services.runner.catch_up()
    ppk = Actor("ppk", Role.PPK, KECAMATAN, name="PPK Satu Satu")
    kpu = Actor("kpu", Role.KPU_KABKOTA, KABKOTA, name="KPU Kab Satu")
    use.open_plenary(services.plenary, ppk, ELECTION, CONTEST, KECAMATAN)
    use.certify(
        services.plenary,
        ppk,
        ELECTION,
        CONTEST,
        KECAMATAN,
        load(given_plenary.CertificationSchema, {"signed_by": ["Ketua"]}),
    )
    use.open_plenary(services.plenary, kpu, ELECTION, CONTEST, KABKOTA)
    fixed = pilkada_form(DPT[TPS], {"1": 53, "2": 40, "3": 27})
    use.correct(
        services.plenary,
        kpu,
        ELECTION,
        CONTEST,
        KABKOTA,
        load(
            given_plenary.CorrectionBodySchema,
            {"tps": TPS, "form": fixed, "reason": "hitung ulang surat suara paslon 1 dan 3"},
        ),
    )
    services.runner.catch_up()
    web = create_app(services, {"TESTING": True}).test_client()
    page = web.get(f"/pemilu/{ELECTION}/{CONTEST}/wilayah/{KECAMATAN}").get_data(as_text=True)
    table = page.split('id="certified-vs-current"')[1].split("</table>")[0]

    def row(key: str) -> list[str]:
        found = table.split(f'data-key="{key}"')[1].split("</tr>")[0]
        return re.findall(r'data-field="\w+">([^<]*)<', found)

    assert row("votes.1") == ["150", "153", "+3"]
    assert row("votes.3") == ["90", "87", "\u22123"]
    assert row("valid") == ["360", "360", "0"]
    corrections = page.split('id="corrections-since"')[1].split("</ul>")[0]
    assert f'href="/pemilu/{ELECTION}/{CONTEST}/tps/{TPS}"' in corrections
    assert "hitung ulang surat suara paslon 1 dan 3" in corrections
    assert "Koreksi dalam pleno 91.01" in corrections
