"""Photos for the demo: a C.Hasil-like sheet drawn as a PNG, with the figures as written on paper.

The demo has no real photos, so a few TPS get a generated page: the form's sections with every
box of three digits filled in, as a KPPS would write them. It is drawn with a small bitmap font
straight into an RGB buffer and encoded as PNG with zlib, so the same form always gives the
same bytes (and the same SHA-256) and no imaging library is needed.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

WIDTH = 600
PAPER = (250, 249, 244)
PRINT = (40, 40, 40)
INK = (20, 50, 150)  # the KPPS's pen
BOX = (120, 120, 120)
SCALE = 2  # font pixels per glyph dot
GLYPH_W, GLYPH_H = 5, 7
ADVANCE = (GLYPH_W + 1) * SCALE
LINE = (GLYPH_H + 5) * SCALE
MARGIN = 24
BOX_SIZE = LINE - 4
GROUP = 3 * (BOX_SIZE + 2)  # three boxes
STEP = GROUP + 14
SPLIT_X = WIDTH - MARGIN - 3 * STEP + 14  # where the L column of a split row starts
ONE_X = SPLIT_X + 2 * STEP  # a single number sits under J
LABEL_CHARS = (SPLIT_X - MARGIN) // ADVANCE - 1

# 5x7 glyphs, one string of five dots per row ('#' is ink).
_ROWS = {
    "0": "01110 10001 10011 10101 11001 10001 01110",
    "1": "00100 01100 00100 00100 00100 00100 01110",
    "2": "01110 10001 00001 00010 00100 01000 11111",
    "3": "11111 00010 00100 00010 00001 10001 01110",
    "4": "00010 00110 01010 10010 11111 00010 00010",
    "5": "11111 10000 11110 00001 00001 10001 01110",
    "6": "00110 01000 10000 11110 10001 10001 01110",
    "7": "11111 00001 00010 00100 01000 01000 01000",
    "8": "01110 10001 10001 01110 10001 10001 01110",
    "9": "01110 10001 10001 01111 00001 00010 01100",
    "A": "01110 10001 10001 11111 10001 10001 10001",
    "B": "11110 10001 10001 11110 10001 10001 11110",
    "C": "01110 10001 10000 10000 10000 10001 01110",
    "D": "11100 10010 10001 10001 10001 10010 11100",
    "E": "11111 10000 10000 11110 10000 10000 11111",
    "F": "11111 10000 10000 11110 10000 10000 10000",
    "G": "01110 10001 10000 10111 10001 10001 01111",
    "H": "10001 10001 10001 11111 10001 10001 10001",
    "I": "01110 00100 00100 00100 00100 00100 01110",
    "J": "00111 00010 00010 00010 00010 10010 01100",
    "K": "10001 10010 10100 11000 10100 10010 10001",
    "L": "10000 10000 10000 10000 10000 10000 11111",
    "M": "10001 11011 10101 10101 10001 10001 10001",
    "N": "10001 10001 11001 10101 10011 10001 10001",
    "O": "01110 10001 10001 10001 10001 10001 01110",
    "P": "11110 10001 10001 11110 10000 10000 10000",
    "Q": "01110 10001 10001 10001 10101 10010 01101",
    "R": "11110 10001 10001 11110 10100 10010 10001",
    "S": "01111 10000 10000 01110 00001 00001 11110",
    "T": "11111 00100 00100 00100 00100 00100 00100",
    "U": "10001 10001 10001 10001 10001 10001 01110",
    "V": "10001 10001 10001 10001 10001 01010 00100",
    "W": "10001 10001 10001 10101 10101 10101 01010",
    "X": "10001 10001 01010 00100 01010 10001 10001",
    "Y": "10001 10001 10001 01010 00100 00100 00100",
    "Z": "11111 00001 00010 00100 01000 10000 11111",
    ".": "00000 00000 00000 00000 00000 01100 01100",
    ",": "00000 00000 00000 00000 01100 00100 01000",
    ":": "00000 01100 01100 00000 01100 01100 00000",
    "-": "00000 00000 00000 11111 00000 00000 00000",
    "/": "00000 00001 00010 00100 01000 10000 00000",
    "(": "00010 00100 01000 01000 01000 00100 00010",
    ")": "01000 00100 00010 00010 00010 00100 01000",
    "+": "00000 00100 00100 11111 00100 00100 00000",
    "=": "00000 00000 11111 00000 11111 00000 00000",
    "%": "11000 11001 00010 00100 01000 10011 00011",
}
GLYPHS: dict[str, list[tuple[int, int]]] = {
    ch: [(x, y) for y, row in enumerate(rows.split()) for x, dot in enumerate(row) if dot == "1"]
    for ch, rows in _ROWS.items()
}


class Canvas:
    """An RGB picture as bytes, with just what a form needs: rectangles, lines and text."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(PAPER) * (width * height))

    def rect(self, x: int, y: int, w: int, h: int, color: tuple[int, int, int]) -> None:
        x0, x1 = max(0, x), min(self.width, x + w)
        if x1 <= x0:
            return
        run = bytes(color) * (x1 - x0)
        for row in range(max(0, y), min(self.height, y + h)):
            start = (row * self.width + x0) * 3
            self.pixels[start : start + len(run)] = run

    def frame(self, x: int, y: int, w: int, h: int, color: tuple[int, int, int]) -> None:
        self.rect(x, y, w, 1, color)
        self.rect(x, y + h - 1, w, 1, color)
        self.rect(x, y, 1, h, color)
        self.rect(x + w - 1, y, 1, h, color)

    def text(self, x: int, y: int, text: str, color: tuple[int, int, int] = PRINT) -> int:
        """Draw `text` (upper-cased; unknown characters as spaces); the x after it."""
        for ch in text.upper():
            for dx, dy in GLYPHS.get(ch, ()):
                self.rect(x + dx * SCALE, y + dy * SCALE, SCALE, SCALE, color)
            x += ADVANCE
        return x

    def png(self) -> bytes:
        stride = self.width * 3
        raw = b"".join(
            b"\x00" + bytes(self.pixels[row * stride : (row + 1) * stride])
            for row in range(self.height)
        )

        def chunk(kind: bytes, data: bytes) -> bytes:
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 6))
            + chunk(b"IEND", b"")
        )


def _boxes(canvas: Canvas, x: int, y: int, value: int) -> None:
    """A number in the form's three boxes, written in ink."""
    digits = f"{value:03d}"[-3:]
    for i, digit in enumerate(digits):
        bx = x + i * (BOX_SIZE + 2)
        canvas.frame(bx, y - 3, BOX_SIZE, BOX_SIZE, BOX)
        canvas.text(bx + (BOX_SIZE - GLYPH_W * SCALE) // 2, y, digit, INK)


def c_hasil_sheet(
    tps: str, title: str, place: str, candidates: list[tuple[str, str]], form: dict[str, Any]
) -> bytes:
    """The page of a C.Hasil with `form`'s figures (a Pilkada form: DPT, DPPh, DPTb lists)."""
    lines: list[tuple[str, Any]] = [
        ("title", "MODEL C.HASIL-KWK"),
        ("head", title),
        ("head", place),
        ("head", f"TPS {tps[-3:]}  KODE {_dotted(tps)}"),
        ("gap", None),
        ("columns", "I. DATA PEMILIH"),
    ]
    for key, label in (("dpt", "A.1 DPT"), ("dpph", "A.2 DPPH"), ("dptb", "A.3 DPTB")):
        lines.append(("split", (label, form["registered"][key])))
    for key, label in (
        ("dpt", "B.1 PEMILIH DPT"),
        ("dpph", "B.2 PEMILIH DPPH"),
        ("dptb", "B.3 PEMILIH DPTB"),
        ("total", "B.4 JUMLAH"),
    ):
        lines.append(("split", (label, form["voted"][key])))
    lines += [("gap", None), ("section", "II. SURAT SUARA")]
    for key, label in (
        ("received", "1. DITERIMA"),
        ("used", "2. DIGUNAKAN"),
        ("returned", "3. DIKEMBALIKAN"),
        ("unused", "4. TIDAK DIGUNAKAN"),
    ):
        lines.append(("one", (label, form["ballots"][key])))
    lines += [
        ("gap", None),
        ("split", ("III. DISABILITAS", form["disabled_voted"])),
        ("gap", None),
        ("section", "IV. PEROLEHAN SUARA"),
    ]
    for number, name in candidates:
        lines.append(("one", (f"{number}. {name}"[:LABEL_CHARS], form["votes"][number])))
    lines += [
        ("gap", None),
        ("one", ("V.A SUARA SAH", form["valid"])),
        ("one", ("V.B SUARA TIDAK SAH", form["invalid"])),
        ("one", ("V.C JUMLAH", form["total"])),
        ("gap", None),
        ("head", "KETUA KPPS  ..........   SAKSI  .........."),
    ]
    height = MARGIN * 2 + LINE * len(lines) + LINE
    canvas = Canvas(WIDTH, height)
    canvas.frame(8, 8, WIDTH - 16, height - 16, PRINT)
    y = MARGIN
    for kind, value in lines:
        if kind in ("title", "head", "section", "columns"):
            canvas.text(MARGIN, y, value)
            if kind == "title":
                canvas.rect(MARGIN, y + LINE - 6, WIDTH - 2 * MARGIN, 2, PRINT)
            if kind == "columns":
                for i, letter in enumerate("LPJ"):
                    canvas.text(SPLIT_X + i * STEP + (GROUP - GLYPH_W * SCALE) // 2, y, letter)
        elif kind == "split":
            label, row = value
            canvas.text(MARGIN, y, label)
            for i, column in enumerate(("l", "p", "j")):
                _boxes(canvas, SPLIT_X + i * STEP, y, row[column])
        elif kind == "one":
            label, number = value
            canvas.text(MARGIN, y, label)
            _boxes(canvas, ONE_X, y, number)
        y += LINE
    return canvas.png()


def _dotted(code: str) -> str:
    return ".".join((code[:2], code[2:4], code[4:6], code[6:10], code[10:]))
