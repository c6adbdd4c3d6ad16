"""Progress of long jobs: a bar on a terminal, a periodic line in logs."""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

log = logging.getLogger("rekap.progress")


class Progress:
    def __init__(
        self, label: str, total: int, stream: TextIO | None = None, every: float = 5.0
    ) -> None:
        self.label = label
        self.total = max(total, 0)
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.every = every
        self.started = time.monotonic()
        self._last = 0.0
        self.done = 0

    def update(self, done: int, total: int | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        now = time.monotonic()
        if self.tty and now - self._last >= 0.1:
            self._draw()
            self._last = now
        elif not self.tty and now - self._last >= self.every:
            log.info("%s", self._line())
            self._last = now

    def _rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def _line(self) -> str:
        pct = 100 * self.done / self.total if self.total else 100.0
        return f"{self.label}: {self.done:,}/{self.total:,} ({pct:.1f}%), {self._rate():,.0f}/s"

    def _draw(self) -> None:
        width = 30
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * min(filled, width) + "-" * max(width - filled, 0)
        self.stream.write(f"\r[{bar}] {self._line()}  ")
        self.stream.flush()

    def finish(self) -> None:
        elapsed = time.monotonic() - self.started
        if self.tty:
            self._draw()
            self.stream.write("\n")
        log.info(
            "%s: done, %s in %.1f s (%s/s)",
            self.label,
            f"{self.done:,}",
            elapsed,
            f"{self._rate():,.0f}",
        )

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()
