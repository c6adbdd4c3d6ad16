"""`rekap election import-wilayah --pemilu2024` on a province (Kalimantan Utara, 2,295 TPS), on
SQLite and PostgreSQL: the five contests on the real tree, with the real DPR and DPD lists; the
generated DPR forms of its dapil, loaded in bulk, give the seats its published votes give."""

from __future__ import annotations

import json
import time

from bench import legislative
from domain.access import SYSTEM
from domain.seats import DistrictFigures, PartyFigures, allocate
from service.bootstrap import build_services
from service.config import Settings
from service.data.legislative2024 import source
from service.input import results as given
from service.read.seats import SeatQueries
from service.usecases.bulk import submit_bulk

PROVINCE = "65"
DAPIL = "6501"
ELECTION = "pemilu-2024"


def test_a_province_of_pemilu_2024_is_imported_with_its_five_contests_and_its_dpr_seats(
    rekap, settings: Settings
) -> None:
    argv = ("election", "import-wilayah", "--election", ELECTION, "--name", "Pemilu 2024")
    started = time.monotonic()
    code, out, err = rekap(*argv, "--provinces", PROVINCE, "--pemilu2024")
    assert code == 0, err
    imported = json.loads(out)
    assert imported["tps"] == 2295
    assert imported["contests"] == [
        "ppwp",
        "dpr",
        "dpd",
        "dprd-prov-65",
        "dprd-kab-6501",
        "dprd-kab-6502",
        "dprd-kab-6503",
        "dprd-kab-6504",
        "dprd-kab-6571",
    ]
    assert time.monotonic() - started < 120
    code, out, _ = rekap(*argv, "--provinces", PROVINCE, "--pemilu2024")  # again: no change
    assert code == 0 and json.loads(out)["loaded"] == 0

    services = build_services(settings)
    try:
        services.runner.catch_up()
        dpr = services.queries.contest(ELECTION, "dpr")
        (district,) = dpr.districts
        assert (district.code, district.seats) == (DAPIL, 3)
        assert sum(len(listed) for _, listed in district.lists) == sum(
            len(v) for v in source.dpr_candidates()[DAPIL].values()
        )
        dpd = services.queries.contest(ELECTION, "dpd")
        assert [(d.code, d.seats) for d in dpd.districts] == [(PROVINCE, 4)]
        assert len(services.queries.contest(ELECTION, "dprd-prov-65").districts) == 4

        forms = [f for _, found in legislative.dapil_forms(DAPIL) for f in found]
        items = [given.bulk_items([{**f.body("dpr", 2024), "tps": f.tps}])[0] for f in forms]
        answers = submit_bulk(services.results, SYSTEM, ELECTION, "dpr", items)
        assert [a.error for a in answers if a.error] == []
        services.runner.catch_up()

        published = source.dpr_votes()[DAPIL]
        figures = DistrictFigures(
            DAPIL, 3, tuple(PartyFigures(p, v) for p, v in sorted(published.items()))
        )
        expected = allocate([figures], 4.0)
        seats = SeatQueries(services.db).seats(dpr)
        assert seats["threshold"]["qualified"] == list(expected.threshold.qualified)
        assert seats["seats"] == expected.seats
        nation = services.queries.region(ELECTION, "dpr", "0")
        assert nation["votes"] == {str(p.number): published.get(p.number, 0) for p in dpr.parties}
        assert nation["progress"] == 100.0 and nation["district"]["code"] == DAPIL
    finally:
        services.close()
