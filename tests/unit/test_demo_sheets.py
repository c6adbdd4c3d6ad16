"""The demo's generated C.Hasil photos: real PNGs, the same bytes for the same form."""

from __future__ import annotations

import struct
import zlib

from service.demo import jakarta
from service.demo.loader import PHOTO_TPS, _on_paper
from service.demo.sheets import WIDTH, c_hasil_sheet
from service.store.evidence import sniff

CANDIDATES = [(str(c["number"]), c["name"]) for c in jakarta.CONTEST["candidates"]]


def sheet_of(tps: str) -> bytes:
    result = next(r for r in jakarta.results() if r.tps == tps)
    return c_hasil_sheet(tps, "PEMILIHAN GUBERNUR", "KEL. X", CANDIDATES, _on_paper(result))


def test_a_sheet_is_a_png_the_evidence_store_accepts_and_decodes_whole() -> None:
    png = sheet_of(jakarta.CORRECTED_TPS)
    assert sniff(png[:16]) == "image/png"
    width, height = struct.unpack(">II", png[16:24])
    assert width == WIDTH and 600 < height < 1200
    start = png.index(b"IDAT") + 4
    length = struct.unpack(">I", png[start - 8 : start - 4])[0]
    pixels = zlib.decompress(png[start : start + length])
    assert len(pixels) == height * (1 + 3 * width)


def test_the_same_form_gives_the_same_bytes_and_another_form_others() -> None:
    assert sheet_of(jakarta.CORRECTED_TPS) == sheet_of(jakarta.CORRECTED_TPS)
    assert sheet_of(jakarta.CORRECTED_TPS) != sheet_of(jakarta.VOTERS_MISREAD_TPS)


def test_the_paper_shows_what_was_written_not_the_misreading() -> None:
    results = {r.tps: r for r in jakarta.results() if r.tps in PHOTO_TPS}
    misread = results[jakarta.VOTERS_MISREAD_TPS]
    row = _on_paper(misread)["voted"]["dpt"]
    assert row["j"] == row["l"] + row["p"] != misread.form["voted"]["dpt"]["j"]
    corrected = results[jakarta.CORRECTED_TPS]
    assert _on_paper(corrected)["votes"]["3"] < corrected.form["votes"]["3"]
    assert len(PHOTO_TPS) == 16
