"""The certificate of a certification (D.Hasil) as a document: JSON, and a printable HTML page
laid out like the official form (figures per child, totals, corrections, objections,
signatures and refusals); and the certificate of a contest's determination (penetapan), the
same way."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from domain.codes import NATION, dotted
from domain.contests import Contest
from service.audit.proofs import proof_path_for_event

TEMPLATES = Path(__file__).parent / "templates"
FORM_NAMES = {
    "kecamatan": "D.HASIL KECAMATAN",
    "kabkota": "D.HASIL KABUPATEN/KOTA",
    "provinsi": "D.HASIL PROVINSI",
    "nasional": "D.HASIL NASIONAL",
}


def certificate_document(contest: Contest, certificate: dict[str, Any]) -> dict[str, Any]:
    """The certificate as stored at certification, with the names a reader needs and the path
    of the proof file (c2sp.org/tlog-proof) of its certification event in the audit log."""
    position = certificate.get("position")
    return {
        "form": FORM_NAMES.get(certificate["tier"], "D.HASIL"),
        "contest_name": contest.name or contest.kind.title,
        "candidates": [{"number": c.number, "name": c.name} for c in contest.candidates],
        **(_ballot(contest, certificate.get("region", "")) if contest.is_legislative else {}),
        **certificate,
        "proof": proof_path_for_event(position) if isinstance(position, int) else None,
    }


def _ballot(contest: Contest, region: str) -> dict[str, Any]:
    """A legislative certificate's columns (parties, or a province's DPD candidates) and, for a
    region inside one district, its ballot: each party's candidates by name."""
    district = contest.district_inside(region) if region else None
    if not contest.kind.by_party:
        individuals = district.individuals if district is not None else ()
        return {"candidates": [{"number": c.number, "name": c.name} for c in individuals]}
    names = {p.number: p.name for p in contest.parties}
    found: dict[str, Any] = {
        "candidates": [{"number": p.number, "name": p.name} for p in contest.parties],
        "parties": [{"number": p.number, "name": p.name} for p in contest.parties],
    }
    if district is not None:
        found["district"] = {
            "code": district.code,
            "name": district.name,
            "seats": district.seats,
            "lists": [
                {
                    "party": party,
                    "name": names.get(party, ""),
                    "candidates": [{"number": c.number, "name": c.name} for c in listed],
                }
                for party, listed in district.lists
            ],
        }
    return found


def determination_document(contest: Contest, determination: dict[str, Any]) -> dict[str, Any]:
    """The determination as recorded, with the names a reader needs and the path of the proof
    file of its event in the audit log."""
    position = determination.get("position")
    return {
        "form": "PENETAPAN HASIL PEMILIHAN",
        "contest_name": contest.name or contest.kind.title,
        "candidates": [{"number": c.number, "name": c.name} for c in contest.candidates],
        **determination,
        "proof": proof_path_for_event(position) if isinstance(position, int) else None,
    }


def qr_svg(text: str) -> Markup:
    """A QR code of ``text`` as inline SVG, for the printed page (segno: pure Python, no I/O)."""
    code = segno.make_qr(text, error="m")
    return Markup(code.svg_inline(scale=3, title="tlog-proof"))


MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
# Indonesia's three time zones by province code; the nation and the overseas units keep WIB.
WITA_PROVINCES = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
WIT_PROVINCES = {"81", "82", "91", "92", "93", "94", "95", "96"}


def local_time(moment: str | None, region: str = NATION) -> str:
    """A stored UTC time as its region reads it: "8 Desember 2024 pukul 14.05 WIB"."""
    if not moment:
        return "-"
    province = region[:2]
    zone, hours = "WIB", 7
    if province in WITA_PROVINCES:
        zone, hours = "WITA", 8
    elif province in WIT_PROVINCES:
        zone, hours = "WIT", 9
    at = datetime.fromisoformat(moment).astimezone(timezone(timedelta(hours=hours)))
    return f"{at.day} {MONTHS[at.month - 1]} {at.year} pukul {at:%H.%M} {zone}"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["dotted"] = dotted
    env.filters["local_time"] = local_time
    env.filters["number"] = lambda n: "-" if n is None else f"{n:,}".replace(",", ".")
    return env


def render_html(
    document: dict[str, Any],
    base_url: str,
    stylesheet: str,
    icon: str,
    template: str = "d_hasil.html",
) -> str:
    """The printable page (a D.Hasil; `template="penetapan.html"` for a determination): with
    the site's `base_url` it carries a QR code of the proof URL; its style and icon are files
    (`stylesheet`, `icon` are their URLs), as the pages' Content-Security-Policy allows no
    inline style."""
    proof_url = f"{base_url.rstrip('/')}{document['proof']}" if document.get("proof") else None
    return (
        _environment()
        .get_template(template)
        .render(
            c=document,
            proof_url=proof_url,
            proof_qr=qr_svg(proof_url) if proof_url else None,
            stylesheet=stylesheet,
            icon=icon,
        )
    )
