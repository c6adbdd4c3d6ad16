"""Hostile text typed by witnesses, KPPS and officials is shown escaped on every public page."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from api.app import create_app
from service.bootstrap import Services
from tests.hostile_site import SCRIPT, pages, plant_hostile_text


@pytest.fixture
def web(services: Services) -> FlaskClient:
    plant_hostile_text(services)
    return create_app(services, {"TESTING": True}).test_client()


def test_every_page_shows_the_hostile_text_escaped_and_never_as_markup(web: FlaskClient) -> None:
    for name, url in pages().items():
        response = web.get(url)
        assert response.status_code == 200, (name, response.data[:300])
        page = response.get_data(as_text=True)
        assert "window.__pwned = 1</script>" not in page, name
        assert not re.search(r"<img[^>]*onerror", page), name
        assert not re.search(r"""href=["']?\s*javascript:""", page, re.I), name
        assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page, name
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def test_the_hostile_objection_note_and_reason_are_on_the_pages(web: FlaskClient) -> None:
    kecamatan = web.get(pages()["kecamatan"]).get_data(as_text=True)
    escaped = SCRIPT.replace("<", "&lt;").replace(">", "&gt;")
    assert f"Keberatan {escaped}" in kecamatan
    assert f"Ditolak {escaped}" in kecamatan
    tps = web.get(pages()["tps"]).get_data(as_text=True)
    assert f"dibaca ulang {escaped} javascript:window.__pwned = 2" in tps
