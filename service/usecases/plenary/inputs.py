"""Checking a plenary command's body: every field error is collected, then all are answered at
once (422 with the list), as the officials fix a request in one go."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from domain.codes import is_within, tps_code
from domain.errors import ErrorList, InvalidInput, NotFound
from domain.form import Form, parse_form
from service.usecases.plenary.context import Target

MAX_TEXT = 4000


@contextmanager
def field_errors(message: str) -> Iterator[ErrorList]:
    """Collect the field errors of the block; at its end, raise InvalidInput(message) if any."""
    errors = ErrorList()
    yield errors
    if errors:
        raise InvalidInput(message, errors.errors)


def text(value: object, name: str, errors: ErrorList) -> str:
    if not isinstance(value, str) or not value.strip():
        errors.add(name, "a non-empty text")
        return ""
    if len(value) > MAX_TEXT:
        errors.add(name, f"at most {MAX_TEXT} characters")
    return value.strip()


def choice(enum: Any, value: object, name: str, errors: ErrorList) -> Any:
    try:
        return enum(value)
    except ValueError:
        errors.add(name, f"one of {', '.join(e.value for e in enum)}")
        return None


def tps_under(t: Target, raw: object) -> str:
    code = tps_code(raw)
    if not is_within(code, t.code):
        raise InvalidInput(f"TPS {code} is not under the plenary of {t.code}")
    return code


def tps_field(t: Target, raw: object, name: str, errors: ErrorList) -> str:
    """A TPS under the plenary, or "" with the reason recorded under `name`."""
    try:
        return tps_under(t, raw)
    except (InvalidInput, NotFound) as exc:
        errors.add(name, exc.message)
        return ""


def form_field(t: Target, raw: object, errors: ErrorList) -> Form | None:
    """The C.Hasil form of the plenary's contest, or None with every field error recorded."""
    try:
        return parse_form(raw, t.contest.kind, t.contest.candidate_keys)
    except InvalidInput as exc:
        errors.errors.extend(exc.errors)
        return None
