"""What a plenary command's input must be beyond its shape (service/input/plenary.py): a TPS
beneath the plenary, a C.Hasil form of the plenary's contest."""

from __future__ import annotations

from typing import Any

from domain.codes import is_within
from domain.errors import InvalidInput
from domain.form import Form, parse_form
from service.usecases.plenary.context import Target


def tps_under(t: Target, tps: str) -> str:
    if not is_within(tps, t.code):
        message = f"TPS {tps} is not under the plenary of {t.code}"
        raise InvalidInput(message)
    return tps


def form_of(t: Target, document: Any) -> Form:
    """The C.Hasil form of the plenary's contest, or InvalidInput naming every field at fault."""
    return parse_form(document, t.contest.kind, t.contest.candidate_keys)
