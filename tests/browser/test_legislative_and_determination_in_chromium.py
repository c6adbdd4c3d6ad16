"""The pages that came with the legislative contests and the determination, in a real browser:
a DPR contest's nation (its seats and districts), a region inside one district (each party's
list), a DPR TPS; a determined result's top region links its printable certificate. No page
logs a browser error or has a serious accessibility fault, and each fits a phone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from selenium.webdriver.common.by import By

from api.app import create_app
from service.bootstrap import Services
from tests.api.test_disputes_api import TOP, at, certify_all, window
from tests.api.test_legislative_api import define, dpr_votes, submit
from tests.api.test_plenary_api import OFFICIAL
from tests.browser.conftest import serving, unavailable
from tests.browser.test_site_in_chromium import visit
from tests.factories import DPT, ELECTION, GUBERNUR, TPS, setup_election
from tests.legislative import BASE, dpr, pemilu_form
from tests.live import LiveServer
from tests.nodes import bearer

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
DPR = f"/pemilu/{ELECTION}/dpr"
PAGES = [f"{DPR}/wilayah/0", f"{DPR}/wilayah/910101", f"{DPR}/tps/{TPS[0]}"]


@pytest.fixture
def site(services: Services) -> Iterator[tuple[LiveServer, FlaskClient]]:
    setup_election(services)
    client = create_app(services, {"TESTING": True}).test_client()

    def auth(role: str, scope: str | None = None, **extra: Any) -> dict[str, str]:
        return bearer(services, role, scope, **extra)

    define(client, auth, dpr())
    for tps in TPS:
        submit(client, auth, "dpr", tps, pemilu_form(DPT[tps], dpr_votes(tps)))
    certify_all(client, auth)  # the governor's contest, up to its province
    opened = window(client, services)
    at(services, opened["closes_at"])
    determined = client.post(
        f"{BASE}/{GUBERNUR['id']}/determination", json=TOP, headers=auth(*OFFICIAL["91"])
    )
    assert determined.status_code == 201, determined.json
    services.runner.catch_up()
    with serving(services) as server:
        yield server, client


def test_the_dpr_pages_show_the_apis_seats_districts_and_lists(
    driver: Any, site: tuple[LiveServer, FlaskClient]
) -> None:
    server, client = site
    seats = client.get(f"/api/v1/elections/{ELECTION}/contests/dpr/seats").json
    visit(driver, server.url + PAGES[0])
    for party, n in seats["seats"].items():
        cell = driver.find_element(By.CSS_SELECTOR, f'[data-field="seats.{party}"]')
        assert cell.text.strip() == str(n)
    districts = driver.find_elements(By.CSS_SELECTOR, "[data-district]")
    assert {d.get_attribute("data-district") for d in districts} >= {"9101", "9102", "9103"}

    visit(driver, server.url + PAGES[1])
    document = client.get(f"/api/v1/elections/{ELECTION}/contests/dpr/regions/910101").json
    first = document["parties"]["1"]["candidates"]["1"]
    cell = driver.find_element(By.CSS_SELECTOR, '[data-field="parties.1.candidates.1"]')
    assert cell.text.strip() == str(first) and "Caleg 1-1" in driver.page_source
    visit(driver, server.url + PAGES[2])


def test_a_determined_result_links_its_printable_certificate(
    driver: Any, site: tuple[LiveServer, FlaskClient]
) -> None:
    server, _ = site
    visit(driver, f"{server.url}/pemilu/{ELECTION}/{GUBERNUR['id']}/wilayah/91")
    status = driver.find_element(By.CSS_SELECTOR, "#result [data-result]")
    assert status.get_attribute("data-result") == "determined"
    driver.find_element(By.CSS_SELECTOR, "#result a[href*='determination']").click()
    visit(driver, driver.current_url)
    assert "PENETAPAN" in driver.page_source.upper()


def test_these_pages_have_no_serious_accessibility_fault_and_fit_a_phone(
    driver: Any, site: tuple[LiveServer, FlaskClient], axe_source: str | None
) -> None:
    server, _ = site
    if axe_source is None:
        unavailable("axe-core could not be installed with npm")
    faults = {}
    pages = [*PAGES, f"/pemilu/{ELECTION}/{GUBERNUR['id']}/wilayah/91"]
    for path in pages:
        visit(driver, server.url + path)
        driver.execute_script(axe_source)
        violations = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']})"
            ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact}))))"
            ".catch(e => done([{id: 'axe-error', impact: 'critical'}]));"
        )
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        if serious:
            faults[path] = serious
    assert faults == {}
    driver.set_window_size(390, 844)
    try:
        for path in pages:
            visit(driver, server.url + path)
            width = driver.execute_script("return window.innerWidth")
            assert driver.execute_script("return document.documentElement.scrollWidth") <= width
    finally:
        driver.set_window_size(1280, 900)
