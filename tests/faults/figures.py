"""The figures of each fault scenario, printed at the end of the run so they can be quoted.

requests: HTTP requests sent (retries included); acknowledged: writes answered 201/200 with a
position; ack_200: of those, how many were answered 200 to a retry, i.e. stored by an attempt
whose answer was lost; refused: 4xx; no_answer: connections lost or timed out (then retried);
503 and 5xx_other: answers; lost: acknowledged writes missing from the log or the read models;
recovery_s: from the fault (or the end of an outage) until a new write was acknowledged and
readable with ?wait_for=; slowest_s: the slowest single request.
"""

from __future__ import annotations

from typing import Any

FIGURES: list[dict[str, Any]] = []
COLUMNS = (
    "scenario",
    "backend",
    "seconds",
    "requests",
    "acknowledged",
    "ack_200",
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
