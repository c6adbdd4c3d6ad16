"""Input from outside, read once at the edge: strict JSON (strict_json.py), and loaders that
turn a document into the typed command a use case takes (domain/commands.py). The HTTP API, the
command line and the bulk import use the same loaders."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import marshmallow as ma

from domain.errors import FieldError, InvalidInput

T = TypeVar("T")
LOCATIONS = ("json", "query", "headers", "path", "view_args", "form")


def load(loader: type[ma.Schema], document: Any, message: str = "the input is not valid") -> Any:
    """The command `loader` makes of `document`, or InvalidInput naming every field at fault."""
    try:
        return loader().load(document)
    except ma.ValidationError as exc:
        raise InvalidInput(message, field_errors(exc.messages)) from None


def field_errors(messages: Any, prefix: str = "") -> list[FieldError]:
    """marshmallow's (or webargs') nested messages as a flat list: `form.votes.2: ...`."""
    found: list[FieldError] = []
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = str(key)
            if not prefix and name in LOCATIONS:
                path = "" if name == "json" else name
            else:
                path = f"{prefix}.{name}" if prefix else name
            found.extend(field_errors(value, path))
    elif isinstance(messages, list):
        if all(isinstance(m, str) for m in messages):
            found.append(FieldError(prefix or "body", "; ".join(messages)))
        else:
            for item in messages:
                found.extend(field_errors(item, prefix))
    elif isinstance(messages, str):
        found.append(FieldError(prefix or "body", messages))
    return found
