"""What a plenary command's input must be beyond its shape (service/input/plenary.py): a TPS
beneath the plenary, a C.Hasil form of the plenary's contest."""

from __future__ import annotations

from typing import Any

from domain.codes import is_within
from domain.errors import InvalidInput
from domain.form import Form
from domain.legislative import read_form
from service.usecases.plenary.context import Target


def tps_under(t: Target, tps: str) -> str:
    if not is_within(tps, t.code):
        message = f"TPS {tps} is not under the plenary of {t.code}"
        raise InvalidInput(message)
    return tps


def form_of(t: Target, document: Any, tps: str) -> Form:
    """The C.Hasil form of the plenary's contest at `tps` (a legislative contest: its district's
    ballot), or InvalidInput naming every field at fault."""
    return read_form(t.contest, tps, document)
