"""The public site over HTTP (Flask's test client) on the demo: what each page shows equals the
API's document, in Indonesian number formats; search, as of, caching, and the headers that keep
the pages safe. The browser tests (tests/browser/) click through the same pages in Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from api.app import create_app
from service.bootstrap import Services
from service.demo import jakarta
from service.demo.loader import PHOTO_TPS

E, C = jakarta.ELECTION["id"], jakarta.CONTEST["id"]
SITE = f"/pemilu/{E}/{C}"
API = f"/api/v1/elections/{E}/contests/{C}"


@pytest.fixture(scope="module")
def web(demo_services: Services) -> Iterator[FlaskClient]:
    yield create_app(demo_services, {"TESTING": True}).test_client()


def html(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.data[:500]
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def field(page: str, name: str) -> list[str]:
    """The figure in every cell of the page marked data-field="name" (before any flag)."""
    pattern = rf'data-field="{re.escape(name)}"[^>]*>(.*?)</(?:td|dd)>'
    return [m.split("<")[0].strip() for m in re.findall(pattern, page, re.S)]


def indonesian(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def test_the_home_page_lists_the_elections_and_their_contests(web: FlaskClient) -> None:
    page = html(web, "/")
    assert "Pilkada Serentak 2024" in page
    assert f'href="{SITE}/wilayah/31"' in page
    assert "Gubernur dan Wakil Gubernur" in page


def test_a_contest_url_leads_to_its_top_region(web: FlaskClient) -> None:
    response = web.get(SITE)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{SITE}/wilayah/31")


@pytest.mark.parametrize("code", ["31", "3171", "317102", "3171021003"])
def test_a_region_page_shows_the_apis_figures_in_indonesian_format(
    web: FlaskClient, code: str
) -> None:
    document = web.get(f"{API}/regions/{code}").get_json()
    page = html(web, f"{SITE}/wilayah/{code}")
    for key, votes in document["votes"].items():
        assert field(page, f"votes.{key}")[0] == indonesian(votes)
        percent = f"{document['percentages'][key]:.2f}".replace(".", ",") + "%"
        assert field(page, f"percentages.{key}") == [percent]
    for key in ("valid", "invalid", "total", "dpt"):
        assert field(page, key)[0] == indonesian(document[key])
    assert f'data-reported="{document["tps_reported"]}"' in page
    assert f'data-total="{document["tps_total"]}"' in page
    assert f'data-with-evidence="{document["tps_with_evidence"]}"' in page  # photo progress
    for child in document["children"]:
        kind = "tps" if child["tier"] == "tps" else "wilayah"
        assert f'href="{SITE}/{kind}/{child["code"]}"' in page


def test_the_province_shows_the_2024_result_and_the_winner_rules_verdict(
    web: FlaskClient,
) -> None:
    page = html(web, f"{SITE}/wilayah/31")
    assert "2.183.239" in page and "50,07%" in page and "4.360.629" in page
    assert 'id="verdict"' in page and "Belum final" in page
    for tps in (jakarta.BALLOTS_SLIP_TPS, jakarta.EXTRA_BALLOTS_TPS):
        assert f'href="{SITE}/tps/{tps}"' in page


def test_the_province_shows_how_many_tps_have_a_photo_of_their_c_hasil(web: FlaskClient) -> None:
    document = web.get(f"{API}/regions/31").get_json()
    assert document["tps_with_evidence"] == len(PHOTO_TPS)  # the demo's generated photos
    page = html(web, f"{SITE}/wilayah/31")
    assert f'<div id="evidence-progress" data-with-evidence="{len(PHOTO_TPS)}">' in page
    assert "TPS dengan foto C.Hasil" in page


def test_english_is_a_choice_with_english_number_formats(web: FlaskClient) -> None:
    page = html(web, f"{SITE}/wilayah/31?lang=en")
    assert '<html lang="en">' in page
    assert "2,183,239" in page and "50.07%" in page
    assert "Votes" in page and "Perolehan suara" not in page
    assert f'href="{SITE}/wilayah/3171?lang=en"' in page  # links keep the language


def test_a_dotted_code_leads_to_the_one_url_of_its_page(web: FlaskClient) -> None:
    response = web.get(f"{SITE}/wilayah/31.71.02?lang=en")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"{SITE}/wilayah/317102?lang=en")
    response = web.get(f"{SITE}/tps/31.71.02.1003.028")
    assert response.headers["Location"].endswith(f"{SITE}/tps/3171021003028")


@pytest.mark.parametrize(
    "path", ["/wilayah/99", "/wilayah/3199", "/tps/3171021003999", "/wilayah/abc"]
)
def test_a_region_that_is_not_there_is_a_page_not_a_problem_document(
    web: FlaskClient, path: str
) -> None:
    response = web.get(SITE + path)
    assert response.status_code in (400, 404)
    assert response.mimetype == "text/html"


def test_a_tps_page_shows_its_photo_every_figure_and_every_version(
    web: FlaskClient, demo_services: Services
) -> None:
    tps = jakarta.VOTERS_MISREAD_TPS
    document = web.get(f"{API}/tps/{tps}").get_json()
    page = html(web, f"{SITE}/tps/{tps}")
    photo = document["evidence"][0]["sha256"]
    assert f'src="/api/v1/evidence/{photo}"' in page
    form = document["form"]
    assert field(page, "voted.dpt.j") == [indonesian(form["voted"]["dpt"]["j"])]
    assert field(page, "ballots.received") == [indonesian(form["ballots"]["received"])]
    for key, votes in form["votes"].items():
        assert field(page, f"votes.{key}") == [indonesian(votes)]
    history = web.get(f"{API}/tps/{tps}/history").get_json()["events"]
    for event in history:
        assert event["leaf_hash"] in page
        assert f"/api/v1/audit/proofs/inclusion?position={event['position']}" in page
    assert "Koreksi dalam pleno 31.71.02" in page  # the plenary's correction, named as such
    assert "Salah baca OCR pemilih DPT (652 -&gt; 152)" in page


def test_a_corrected_tps_shows_both_readings_side_by_side(web: FlaskClient) -> None:
    page = html(web, f"{SITE}/tps/{jakarta.CORRECTED_TPS}")
    readings = page.split('id="readings"')[1].split("</section>")[0]
    assert 'data-key="votes.3"' in readings
    assert re.search(r'data-version="1">652<', readings)
    assert re.search(r'data-version="2">152<', readings)


def test_a_tps_with_an_anomaly_flags_the_fields_and_names_the_rule(web: FlaskClient) -> None:
    page = html(web, f"{SITE}/tps/{jakarta.BALLOTS_SLIP_TPS}")
    assert 'data-rule="R8"' in page
    assert re.search(r'class="n flagged" data-field="ballots.unused"', page)


def test_a_certified_region_shows_certified_against_current(web: FlaskClient) -> None:
    document = web.get(f"{API}/regions/3101").get_json()
    certified = document["plenary"]["certified"]
    page = html(web, f"{SITE}/wilayah/3101")
    table = page.split('id="certified-vs-current"')[1].split("</table>")[0]
    for key, votes in certified["votes"].items():
        row = table.split(f'data-key="votes.{key}"')[1].split("</tr>")[0]
        assert f'data-field="certified">{indonesian(votes)}<' in row
        assert f'data-field="current">{indonesian(document["votes"][key])}<' in row
    assert "sudah ditetapkan" in page
    assert f"/plenaries/3101/certificate?number={certified['certificate']}&amp;format=html" in page


def test_a_plenary_region_lists_its_objections_and_where_they_went(web: FlaskClient) -> None:
    page = html(web, f"{SITE}/wilayah/317102")
    assert "Saksi tidak menerima salinan C.Hasil di 3 TPS" in page
    assert "diteruskan ke 31.71" in page
    assert f'href="{SITE}/tps/{jakarta.VOTERS_MISREAD_TPS}"' in page


def test_search_by_code_goes_to_the_page_and_by_name_lists_the_regions(
    web: FlaskClient,
) -> None:
    response = web.get("/cari?q=31.71.02.1003.028")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{SITE}/tps/3171021003028")
    assert web.get("/cari?q=3171").headers["Location"].endswith(f"{SITE}/wilayah/3171")
    page = html(web, "/cari?q=gambir")
    assert f'href="{SITE}/wilayah/317101"' in page  # kecamatan Gambir
    assert f'href="{SITE}/wilayah/3171011001"' in page  # kelurahan Gambir
    assert "Tidak ada wilayah yang cocok" in html(web, "/cari?q=zzzz-tidak-ada")
    assert "Tidak ada wilayah yang cocok" in html(web, "/cari?q=%25_%5C")  # LIKE's own signs


def test_a_page_as_of_a_past_position_shows_the_figures_then(web: FlaskClient) -> None:
    tps = jakarta.CORRECTED_TPS
    first = web.get(f"{API}/tps/{tps}").get_json()["submitted"]["position"]
    page = html(web, f"{SITE}/tps/{tps}?as_of={first}")
    assert field(page, "votes.3") == ["652"]
    assert 'role="status"' in page  # the banner that says this is the past
    assert f'href="{SITE}/tps/{tps}"' in page  # and the way back to the present
    assert web.get(f"{SITE}/tps/{tps}?as_of={first}").headers["Cache-Control"] == (
        "public, max-age=86400"
    )
    region = html(web, f"{SITE}/wilayah/3171021003?as_of={first}")
    assert f"as_of={first}" in region.split('id="children"')[1]  # the drill-down stays then


def test_a_bad_as_of_is_a_400_page(web: FlaskClient) -> None:
    response = web.get(f"{SITE}/wilayah/31?as_of=yesterday")
    assert response.status_code == 400
    assert response.mimetype == "text/html"


def test_pages_are_public_and_cacheable(web: FlaskClient) -> None:
    response = web.get(f"{SITE}/wilayah/3171")
    assert response.headers["Cache-Control"] == "public, max-age=5"
    tag = response.headers["ETag"]
    again = web.get(f"{SITE}/wilayah/3171", headers={"If-None-Match": tag})
    assert again.status_code == 304 and not again.data


@pytest.mark.parametrize(
    "url",
    [
        "/",
        f"{SITE}/wilayah/31",
        f"{SITE}/wilayah/317102",
        f"{SITE}/tps/{jakarta.VOTERS_MISREAD_TPS}",
        f"{SITE}/wilayah/3101/riwayat",
        "/cari?q=kartini",
        "/api/v1/docs",
    ],
)
def test_no_page_has_an_inline_script_or_style_and_every_one_has_a_strict_csp(
    web: FlaskClient, url: str
) -> None:
    response = web.get(url)
    page = response.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert "<style" not in page and not re.search(r"\sstyle=", page)
    assert not re.search(r"\son[a-z]+=", page)  # no inline event handlers
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy.split("style-src")[0]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_the_api_docs_and_every_asset_of_the_site_are_served_from_here(web: FlaskClient) -> None:
    docs = web.get("/api/v1/docs").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs)
    assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets)
    for asset in assets:
        assert web.get(asset).status_code == 200, asset
    page = html(web, f"{SITE}/wilayah/31")
    for asset in re.findall(r'(?:src|href)="(/site-static/[^"]+)"', page):
        assert web.get(asset).status_code == 200, asset
    assert "http://" not in page and "https://" not in page  # no link leaves the server


def test_a_region_history_page_lists_the_events_with_their_leaf_hashes(
    web: FlaskClient,
) -> None:
    history = web.get(f"{API}/regions/3101/history?limit=50").get_json()
    page = html(web, f"{SITE}/wilayah/3101/riwayat")
    for event in history["events"]:
        assert event["leaf_hash"][:16] in page
    assert "Pleno menetapkan" in page
