"""The certificate of a certification (D.Hasil) as a document: JSON, and a printable HTML page
laid out like the official form (figures per child, totals, corrections, objections,
signatures and refusals)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from domain.codes import dotted
from domain.contests import Contest

TEMPLATES = Path(__file__).parent / "templates"
FORM_NAMES = {
    "kecamatan": "D.HASIL KECAMATAN",
    "kabkota": "D.HASIL KABUPATEN/KOTA",
    "provinsi": "D.HASIL PROVINSI",
    "nasional": "D.HASIL NASIONAL",
}


def certificate_document(contest: Contest, certificate: dict[str, Any]) -> dict[str, Any]:
    """The certificate as stored at certification, with the names a reader needs."""
    return {
        "form": FORM_NAMES.get(certificate["tier"], "D.HASIL"),
        "contest_name": contest.name or contest.contest_id,
        "candidates": [{"number": c.number, "name": c.name} for c in contest.candidates],
        **certificate,
    }


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["dotted"] = dotted
    env.filters["number"] = lambda n: "-" if n is None else f"{n:,}".replace(",", ".")
    return env


def render_html(document: dict[str, Any], stylesheet: str, icon: str) -> str:
    """The printable page; its style and icon are files (`stylesheet`, `icon` are their URLs):
    the pages' Content-Security-Policy allows no inline style."""
    return (
        _environment()
        .get_template("d_hasil.html")
        .render(c=document, stylesheet=stylesheet, icon=icon)
    )
