"""The figures of each fault scenario, printed at the end of the run so they can be quoted."""

from __future__ import annotations

from typing import Any

FIGURES: list[dict[str, Any]] = []
COLUMNS = (
    "scenario",
    "backend",
    "seconds",
    "requests",
    "acknowledged",
    "refused",
    "no_answer",
    "503",
    "5xx_other",
    "lost",
    "recovery_s",
    "slowest_s",
    "note",
)


def record(scenario: str, backend: str, **figures: Any) -> None:
    FIGURES.append({"scenario": scenario, "backend": backend, **figures})


def table() -> list[str]:
    rows = [[_cell(f.get(c, "")) for c in COLUMNS] for f in FIGURES]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(COLUMNS)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    return lines


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)
