"""The demo shows every plenary state, and its plenaries move no vote of the certified result."""

from __future__ import annotations

import pytest

from service.bootstrap import Services
from service.demo import jakarta

EID, CID = jakarta.ELECTION["id"], jakarta.CONTEST["id"]

# Loading the demo takes ~40 s on PostgreSQL; the plenary rules it exercises run on both
# backends in test_plenary*.py, so the demo's own story is checked on SQLite only.
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("demo_services", ["sqlite"], indirect=True)]


def test_the_demo_province_keeps_the_certified_totals_through_its_plenaries(
    demo_services: Services,
) -> None:
    top = demo_services.queries.region(EID, CID, "31")
    assert top["valid"] == jakarta.PROVINCE_VALID and top["invalid"] == jakarta.PROVINCE_INVALID
    assert top["votes"] == {"1": 1_718_160, "2": 459_230, "3": 2_183_239}
    assert top["plenary"]["status"] == "not_open"
    assert top["winner"]["status"] == "pending" and top["winner"]["candidates"] == [3]


def test_the_demo_shows_every_plenary_state_and_record(demo_services: Services) -> None:
    queries = demo_services.queries
    contest = queries.contest(EID, CID)
    states = {p["code"]: p["status"] for p in queries.plenaries.plenaries(contest)}
    assert states == {
        "310101": "certified",
        "310102": "certified",
        "3101": "certified",
        "317101": "reopened",
        "317102": "certified",
        "3171": "open",
    }
    assert len(queries.plenaries.plenary(contest, "310102")["certificates"]) == 2
    kecamatan = queries.plenaries.certificate(contest, "317102")
    [fixed] = kecamatan["corrections"]
    assert fixed["tps"] == jakarta.VOTERS_MISREAD_TPS and fixed["objection_id"] == "317102-1"
    assert fixed["before"]["votes"] == fixed["after"]["votes"]
    assert [o["resolution"]["accepted"] for o in kecamatan["objections"]] == [True, False]
    assert kecamatan["refusals"][0]["reason"] == "keberatan prosedur tidak diterima"
    carried = queries.plenaries.plenary(contest, "3171")["open_objections"]
    assert [o["id"] for o in carried] == ["317102-2"]
    kab = queries.region(EID, CID, "3101")
    assert kab["plenary"]["certified"]["votes"] == kab["votes"]
