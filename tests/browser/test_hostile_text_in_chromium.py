"""In a real browser, hostile text planted where witnesses, KPPS and officials type (a <script>
in an objection, a javascript: link as a name, an attribute break-out) is shown as text: no
planted script runs, no link leads to javascript:, and the browser logs no error (a blocked
inline script would be one)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from service.bootstrap import Services
from tests.browser.conftest import serving
from tests.browser.test_site_in_chromium import errors_logged, visit
from tests.hostile_site import BROKEN_OUT, JAVASCRIPT_LINK, SCRIPT, pages, plant_hostile_text
from tests.live import LiveServer


@pytest.fixture
def hostile_site(services: Services) -> Iterator[LiveServer]:
    plant_hostile_text(services)
    with serving(services) as server:
        yield server


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_hostile_text_is_shown_as_text_on_every_page(driver: Any, hostile_site: LiveServer) -> None:
    seen = ""
    for name, path in pages().items():
        visit(driver, hostile_site.url + path)
        assert driver.execute_script("return window.__pwned") is None, name
        links = driver.execute_script(
            "return Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"
        )
        assert [h for h in links if h.lower().startswith("javascript:")] == [], name
        assert driver.find_elements(By.CSS_SELECTOR, "img[src='x']") == [], name
        seen += driver.find_element(By.TAG_NAME, "body").text
        assert errors_logged(driver) == [], name
    for text in (SCRIPT, JAVASCRIPT_LINK, BROKEN_OUT):
        assert text in seen  # shown, as the words that were typed
