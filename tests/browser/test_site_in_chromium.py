"""The public site in a real browser, on the Jakarta demo: a visitor clicks from the elections
down to one TPS and sees on every page the figures the API answers; the photo loads; a
corrected TPS shows both readings; a certified region shows certified against current; the API
docs load with no request leaving the machine; no page logs a browser error or has a serious
accessibility fault; and the pages fit a phone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from service.bootstrap import Services
from service.demo import jakarta
from tests.browser.conftest import screenshot, serving
from tests.live import LiveServer

E, C = jakarta.ELECTION["id"], jakarta.CONTEST["id"]
SITE = f"/pemilu/{E}/{C}"
API = f"/api/v1/elections/{E}/contests/{C}"
DRILL_DOWN = ["3171", "317102", "3171021003"]

# One demo store (SQLite) for the whole module: these tests only read.
pytestmark = pytest.mark.parametrize("demo_services", ["sqlite"], indirect=True)


@pytest.fixture
def site(demo_services: Services) -> Iterator[LiveServer]:
    with serving(demo_services) as server:
        yield server


def errors_logged(driver: Any) -> list[str]:
    """Browser errors since the last call (failed loads, CSP violations, script errors) of the
    page's own site: the shared browser may still be fetching a favicon of an earlier test's
    site, which has stopped since."""
    origin = "/".join(driver.current_url.split("/")[:3])
    return [
        e["message"]
        for e in driver.get_log("browser")
        if e["level"] == "SEVERE"
        and (not e["message"].startswith("http") or e["message"].startswith(origin))
    ]


def visit(driver: Any, url: str) -> None:
    driver.get(url)
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
    assert errors_logged(driver) == [], url


def click(driver: Any, selector: str) -> None:
    driver.find_element(By.CSS_SELECTOR, selector).click()
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
    assert errors_logged(driver) == [], driver.current_url


def text(driver: Any, selector: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, selector).text.strip()


def indonesian(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def check_region(driver: Any, site: LiveServer, code: str) -> None:
    """The page's figures are the API document's, written the Indonesian way."""
    document = site.json(f"{API}/regions/{code}")
    assert driver.current_url == f"{site.url}{SITE}/wilayah/{code}"
    for key, votes in document["votes"].items():
        assert text(driver, f'#votes [data-field="votes.{key}"]') == indonesian(votes)
        percent = f"{document['percentages'][key]:.2f}".replace(".", ",") + "%"
        assert text(driver, f'#votes [data-field="percentages.{key}"]') == percent
    for key in ("valid", "invalid", "total", "dpt"):
        assert text(driver, f'#totals [data-field="{key}"]') == indonesian(document[key])
    progress = driver.find_element(By.CSS_SELECTOR, "#progress")
    assert progress.get_attribute("data-reported") == str(document["tps_reported"])
    assert progress.get_attribute("data-total") == str(document["tps_total"])
    photos = driver.find_element(By.CSS_SELECTOR, "#evidence-progress")
    assert photos.get_attribute("data-with-evidence") == str(document["tps_with_evidence"])
    rows = driver.find_elements(By.CSS_SELECTOR, "#children tbody tr")
    assert [r.get_attribute("data-code") for r in rows] == [c["code"] for c in document["children"]]


def test_a_visitor_clicks_from_the_elections_down_to_a_tps_and_sees_the_apis_figures(
    driver: Any, site: LiveServer
) -> None:
    visit(driver, site.url + "/")
    screenshot(driver, "home")
    click(driver, f'a.contest-link[href="{SITE}/wilayah/31"]')
    check_region(driver, site, "31")
    assert "Belum final" in text(driver, "#verdict")
    screenshot(driver, "province")
    for code in DRILL_DOWN:
        click(driver, f'#children a[href="{SITE}/wilayah/{code}"]')
        check_region(driver, site, code)
        if code == "317102":
            screenshot(driver, "kecamatan")
    tps = jakarta.VOTERS_MISREAD_TPS
    click(driver, f'#children a[href="{SITE}/tps/{tps}"]')
    assert driver.current_url == f"{site.url}{SITE}/tps/{tps}"
    document = site.json(f"{API}/tps/{tps}")
    form = document["form"]
    assert text(driver, '#form [data-field="voted.dpt.j"]') == indonesian(form["voted"]["dpt"]["j"])
    for key, votes in form["votes"].items():
        assert text(driver, f'#form [data-field="votes.{key}"]') == indonesian(votes)
    for key in ("valid", "invalid", "total"):
        assert text(driver, f'#form [data-field="{key}"]') == indonesian(form[key])
    photos = driver.execute_script(
        "return Array.from(document.querySelectorAll('img.photo'))"
        ".map(i => [i.complete, i.naturalWidth, i.getAttribute('src')])"
    )
    assert photos == [[True, 600, f"/api/v1/evidence/{document['evidence'][0]['sha256']}"]]
    crumbs = [a.text for a in driver.find_elements(By.CSS_SELECTOR, ".crumbs li")]
    assert crumbs[1:] == ["DKI JAKARTA", "KOTA JAKARTA PUSAT", "SAWAH BESAR", "KARTINI", "TPS 028"]
    screenshot(driver, "tps")


def test_a_corrected_tps_shows_both_readings(driver: Any, site: LiveServer) -> None:
    visit(driver, f"{site.url}{SITE}/tps/{jakarta.CORRECTED_TPS}")
    row = '#readings tr[data-key="votes.3"]'
    assert text(driver, f'{row} td[data-version="1"]') == "652"
    assert text(driver, f'{row} td[data-version="2"]') == "152"
    versions = driver.find_elements(By.CSS_SELECTOR, "#versions > ol > li")
    assert [v.get_attribute("data-version") for v in versions] == ["1", "2"]
    assert "salah baca OCR pada suara paslon 3" in versions[1].text
    screenshot(driver, "tps-corrected")


def test_a_certified_region_shows_certified_against_current(driver: Any, site: LiveServer) -> None:
    document = site.json(f"{API}/regions/3101")
    certified = document["plenary"]["certified"]
    visit(driver, f"{site.url}{SITE}/wilayah/3101")
    for key, votes in certified["votes"].items():
        row = f'#certified-vs-current tr[data-key="votes.{key}"]'
        assert text(driver, f'{row} [data-field="certified"]') == indonesian(votes)
        assert text(driver, f'{row} [data-field="current"]') == indonesian(document["votes"][key])
        assert text(driver, f'{row} [data-field="difference"]') == "0"
    certificate = driver.find_element(By.CSS_SELECTOR, ".certificates a")
    certificate.click()
    assert "D.HASIL KABUPATEN/KOTA" in driver.find_element(By.TAG_NAME, "h1").text
    assert errors_logged(driver) == []  # the certificate page obeys the CSP too
    screenshot(driver, "certificate")


def test_search_takes_a_dotted_code_or_a_name(driver: Any, site: LiveServer) -> None:
    visit(driver, site.url + "/")
    box = driver.find_element(By.ID, "q")
    box.send_keys("31.71.02.1003.028\n")
    WebDriverWait(driver, 30).until(ready.url_contains("/tps/3171021003028"))
    box = driver.find_element(By.ID, "q")
    box.send_keys("kartini\n")
    WebDriverWait(driver, 30).until(ready.url_contains("/cari"))
    assert driver.find_elements(By.CSS_SELECTOR, f'.results a[href="{SITE}/wilayah/3171021003"]')
    assert errors_logged(driver) == []


def test_the_api_docs_load_with_no_request_leaving_the_machine(
    driver: Any, site: LiveServer
) -> None:
    driver.get(site.url + "/api/v1/docs")
    WebDriverWait(driver, 60).until(
        ready.text_to_be_present_in_element((By.CSS_SELECTOR, ".swagger-ui .info"), "rekap")
    )
    resources = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert resources, "the page loaded nothing?"
    assert [r for r in resources if not r.startswith(site.url + "/")] == []
    assert any(r.endswith("/api/v1/openapi.json") for r in resources)
    assert errors_logged(driver) == []
    screenshot(driver, "api-docs")


PAGES = [
    "/",
    f"{SITE}/wilayah/31",
    f"{SITE}/wilayah/317102",
    f"{SITE}/wilayah/3171021003",
    f"{SITE}/tps/{jakarta.VOTERS_MISREAD_TPS}",
    f"{SITE}/tps/{jakarta.BALLOTS_SLIP_TPS}",
    f"{SITE}/wilayah/3101/riwayat",
    "/cari?q=gambir",
    f"{SITE}/wilayah/31?lang=en",
]


def test_no_page_has_a_serious_accessibility_fault(
    driver: Any, site: LiveServer, axe_source: str | None
) -> None:
    if axe_source is None:
        from tests.browser.conftest import unavailable

        unavailable("axe-core could not be installed with npm")
    faults = {}
    for path in PAGES:
        visit(driver, site.url + path)
        driver.execute_script(axe_source)
        violations = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']})"
            ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,"
            " help: v.help, targets: v.nodes.slice(0, 3).map(n => n.target)}))))"
            ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e)}]));"
        )
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        if serious:
            faults[path] = serious
    assert faults == {}


@pytest.mark.parametrize(
    "path",
    [f"{SITE}/wilayah/31", f"{SITE}/wilayah/3171021003", f"{SITE}/tps/{jakarta.CORRECTED_TPS}"],
)
def test_a_page_fits_a_phone_with_its_tables_scrolling_inside_it(
    driver: Any, site: LiveServer, path: str
) -> None:
    driver.set_window_size(390, 844)
    try:
        visit(driver, site.url + path)
        width = driver.execute_script("return window.innerWidth")
        assert driver.execute_script("return document.documentElement.scrollWidth") <= width
        if path.endswith("/31"):
            screenshot(driver, "phone-province", width=390, max_height=3000)
        if "/tps/" in path:
            screenshot(driver, "phone-tps", width=390, max_height=3600)
    finally:
        driver.set_window_size(1280, 900)


def test_the_childrens_filter_narrows_a_long_list(driver: Any, site: LiveServer) -> None:
    visit(driver, f"{site.url}{SITE}/wilayah/3171021003")
    box = driver.find_element(By.ID, "child-filter")
    box.send_keys("028")
    shown = [
        r.get_attribute("data-code")
        for r in driver.find_elements(By.CSS_SELECTOR, "#children tbody tr")
        if r.is_displayed()
    ]
    assert shown == [jakarta.VOTERS_MISREAD_TPS]
