"""A real browser for the site's tests: Debian's Chromium driven through chromedriver by Selenium.

The browser is the system's (`apt-get install chromium chromium-driver`; .ci/run installs it):
Selenium is given both paths, so Selenium Manager never runs and nothing is downloaded. Outside
CI a missing browser skips these tests with a message; in CI (CI=true) it fails them.

Set REKAP_SCREENSHOTS=docs/screenshots to have the tests write the README's screenshots.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from service.bootstrap import Services
from tests.conftest import IN_CI
from tests.live import LiveServer, served

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
# Without the background-networking flags Chromium calls Google, which this network refuses.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--hide-scrollbars",
    "--lang=id-ID",
)
AXE_VERSION = "4"
AXE_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rekap" / "axe-core"
SCREENSHOTS = os.environ.get("REKAP_SCREENSHOTS")


def unavailable(message: str) -> None:
    if IN_CI:
        pytest.fail(message + " (CI must run the browser tests)", pytrace=False)
    pytest.skip(message)


@contextmanager
def serving(services: Services) -> Iterator[LiveServer]:
    """The site over `services` on a free port of 127.0.0.1 until the block ends."""
    with served(create_app(services, {"TESTING": True})) as server:
        yield server


@pytest.fixture(scope="session")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not Path(path).exists():
            unavailable(f"{path} is missing: apt-get install {package}")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("selenium is not installed (pip install -e '.[test]')")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium')}")
    options.add_argument("--window-size=1280,900")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # Both paths are given: Selenium Manager is not used, so nothing is downloaded.
    browser = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    browser.set_page_load_timeout(60)
    yield browser
    browser.quit()


@pytest.fixture(scope="session")
def axe_source() -> str | None:
    """axe-core's axe.min.js, installed once with npm into a cache directory; None outside CI
    when npm cannot fetch it (the accessibility test then skips)."""
    script = AXE_CACHE / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists() and shutil.which("npm"):
        AXE_CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(AXE_CACHE),
                f"axe-core@{AXE_VERSION}",
                "--no-audit",
                "--no-fund",
                "--silent",
            ],
            check=False,
            timeout=300,
            capture_output=True,
        )
    return script.read_text(encoding="utf-8") if script.exists() else None


def screenshot(browser: Any, name: str, width: int = 1280, max_height: int = 2600) -> None:
    """With REKAP_SCREENSHOTS set, the whole page (up to max_height) as <dir>/<name>.png."""
    if not SCREENSHOTS:
        return
    directory = Path(SCREENSHOTS)
    directory.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(width, 900)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(width, min(int(height), max_height))
    browser.save_screenshot(str(directory / f"{name}.png"))
    browser.set_window_size(1280, 900)
