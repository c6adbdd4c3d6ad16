"""The region page's places for what is being built beside it: the seats of a legislative
contest (the seats document of api.md) and the photo progress (`tps_with_evidence`)."""

from __future__ import annotations

from flask import render_template

from api.app import create_app
from api.site import pages
from service.bootstrap import Services
from service.demo import jakarta

E, C = jakarta.ELECTION["id"], jakarta.CONTEST["id"]
SEATS = {
    "status": "provisional",
    "based_on": {"position": 1234, "certified": False},
    "threshold": {"percent": 4.0, "votes": 6071731.72, "qualified": [1, 3]},
    "seats": {"3": 110, "1": 68},
    "districts": [
        {
            "code": "3101",
            "name": "DKI JAKARTA I",
            "seats": 6,
            "allocation": {"3": 2},
            "elected": [{"party": 3, "candidate": 1, "name": "Calon Satu", "votes": 123456}],
            "ties": [],
        }
    ],
}
PARTIES = [
    pages.Ballot("1", 1, "PKB"),
    pages.Ballot("2", 2, "Gerindra"),
    pages.Ballot("3", 3, "PDI Perjuangan"),
]


def test_the_seats_section_shows_each_partys_seats_and_the_elected(
    demo_services: Services,
) -> None:
    app = create_app(demo_services, {"TESTING": True})
    with app.test_request_context(f"/pemilu/{E}/{C}/wilayah/31"):
        html = render_template("site/seats.html", seats=SEATS, ballot=PARTIES)
    assert 'data-field="seats.3">110<' in html and 'data-field="seats.1">68<' in html
    assert "seats.2" not in html  # a party without a seat is not listed
    assert "sementara" in html and "4,00%" in html
    assert "Calon Satu" in html and "123.456" in html


def test_the_region_page_shows_photo_progress_beside_the_data_progress(
    demo_services: Services,
) -> None:
    app = create_app(demo_services, {"TESTING": True})
    path = f"/pemilu/{E}/{C}/wilayah/3171021003"
    with app.test_request_context(path):
        page = pages.region_page(demo_services, E, C, "3171021003", None)
        # TPS 001-012 and 028 of Kartini carry the demo's generated photos
        assert page["doc"]["tps_with_evidence"] == 13
        html = render_template("site/region.html", **page)
    assert 'data-with-evidence="13"' in html
    assert "13 dari 38 TPS masuk" in html
