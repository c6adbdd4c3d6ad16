"""JSON from outside (request bodies, files given to the command line), read strictly, once.

Whatever is accepted here becomes part of an immutable event and of read models on SQLite and
PostgreSQL, so anything those cannot hold, or that would mean two things, is refused before any
use case sees it:

- bytes that are not UTF-8, NaN and Infinity (not JSON), numbers beyond 2**53 (no client can
  hold them exactly), non-finite floats: the body is malformed (`MalformedJson`, 400);
- nesting deeper than MAX_DEPTH (a C.Hasil is four levels deep): malformed, refused before any
  recursive code walks it;
- an object with the same key twice (`{"1": 999, "1": 52}`: which one did the KPPS mean?),
  text holding NUL or another control character (PostgreSQL text cannot hold NUL; the others
  corrupt what a reader sees), a lone surrogate (not text: it cannot be encoded), or a
  bidirectional override (it makes a name read differently from what it is): every such field
  is named (`InvalidInput`, 422), as the schema's own errors are.

Tab, line feed and carriage return are text (a witness's objection may have paragraphs).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from domain.errors import ErrorList, FieldError, InvalidInput

MAX_DEPTH = 32
MAX_SAFE_INTEGER = 2**53
# C0 controls but tab, LF and CR; DEL and the C1 controls; bidirectional embeddings, overrides
# and isolates; lone surrogates (a valid pair is decoded into one character by the parser).
NOT_TEXT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


class MalformedJson(ValueError):
    """The bytes are not JSON that rekap reads (400)."""


# What in JSON text can become text rekap refuses: a \u, \b or \f escape, or such a character
# itself. A body without any, without a duplicate key or an unsafe number, and with fewer
# brackets than MAX_DEPTH, holds nothing to refuse: it is not walked (most bodies, the hot path).
SUSPECT = re.compile(
    "\\\\[ubf]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


class _Object(dict[str, Any]):
    """An object whose members named `duplicates` appeared more than once in the source."""

    duplicates: tuple[str, ...] = ()


class _Reading:
    """The decoder of one document, noting whether anything in it needs a closer look."""

    def __init__(self) -> None:
        self.suspect = False
        self.decoder = json.JSONDecoder(
            object_pairs_hook=self._object,
            parse_constant=_not_json,
            parse_int=self._int,
            parse_float=_finite,
        )

    def _object(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        found = _Object(pairs)
        if len(found) != len(pairs):
            self.suspect = True
            seen: set[str] = set()
            found.duplicates = tuple(dict.fromkeys(k for k, _ in pairs if k in seen or seen.add(k)))
        return found

    def _int(self, digits: str) -> int:
        number = int(digits)
        if abs(number) > MAX_SAFE_INTEGER:
            self.suspect = True
        return number


def _not_json(constant: str) -> Any:
    raise MalformedJson(f"the body is not valid JSON: {constant} is not a JSON number")


def _finite(digits: str) -> float:
    number = float(digits)
    if not math.isfinite(number):
        raise MalformedJson("the body holds a number too large to be finite")
    return number


def parse_json(raw: bytes | str) -> Any:
    """The JSON document in `raw`, or MalformedJson / InvalidInput saying what is wrong."""
    document, faults = read_json(raw)
    if faults:
        raise InvalidInput("the body holds what cannot be stored", faults)
    return document


class Items(list[Any]):
    """A list document some of whose items hold what cannot be stored: `faults` by item index.

    A bulk request answers item by item, so one faulty item is refused alone, not the request.
    """

    def __init__(self, items: list[Any], faults: dict[int, list[FieldError]]) -> None:
        super().__init__(items)
        self.faults = faults


def parse_items(raw: bytes | str) -> Any:
    """As parse_json, but faults inside the items of a list come back as `Items.faults`."""
    document, faults = read_json(raw)
    if not faults:
        return document
    by_item: dict[int, list[FieldError]] = {}
    for fault in faults:
        index, _, rest = fault.field.partition(".")
        if not isinstance(document, list) or not index.isdigit():
            raise InvalidInput("the body holds what cannot be stored", faults)
        by_item.setdefault(int(index), []).append(FieldError(rest or "item", fault.message))
    return Items(document, by_item)


def read_json(raw: bytes | str) -> tuple[Any, list[FieldError]]:
    """The document and every field that holds what cannot be stored; MalformedJson when the
    bytes are not JSON rekap reads at all."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        message = f"the body is not UTF-8 text ({exc.reason} at byte {exc.start})"
        raise MalformedJson(message) from None
    reading = _Reading()
    try:
        document = reading.decoder.decode(text)
    except RecursionError:
        raise MalformedJson(f"the JSON is nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise MalformedJson(f"the body is not valid JSON: {exc}") from None
    except MalformedJson:
        raise
    except ValueError:  # an integer of more digits than Python converts
        raise MalformedJson("the body holds a number of thousands of digits") from None
    shallow = text.count("{") + text.count("[") <= MAX_DEPTH
    if not reading.suspect and shallow and SUSPECT.search(text) is None:
        return document, []
    errors = ErrorList()
    _check(document, errors)
    return document, errors.errors


def text_fault(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None when it can."""
    found = NOT_TEXT.search(value)
    if found is None:
        return None
    char = found.group()
    what = "a lone surrogate" if "\ud800" <= char <= "\udfff" else "a control character"
    if "\u202a" <= char <= "\u2069":
        what = "a bidirectional control character"
    return f"holds {what} (U+{ord(char):04X}), which is not text rekap stores"


def _check(document: Any, errors: ErrorList) -> None:
    """Depth, duplicate keys, text and numbers of every member, without recursion."""
    stack: list[tuple[Any, str, int]] = [(document, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise MalformedJson(f"the JSON is nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            for key in getattr(value, "duplicates", ()):
                errors.add(_join(path, key), "appears twice in the same object")
            for key, member in value.items():
                where = _join(path, key)
                fault = text_fault(key)
                if fault:
                    errors.add(where, f"the name {fault}")
                stack.append((member, where, depth + 1))
        elif isinstance(value, list):
            stack.extend((member, _join(path, str(i)), depth + 1) for i, member in enumerate(value))
        elif isinstance(value, str):
            fault = text_fault(value)
            if fault:
                errors.add(path or "body", fault)
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if abs(value) > MAX_SAFE_INTEGER:
                errors.add(path or "body", "a number beyond ±2**53, which no client holds exactly")
        elif isinstance(value, float) and not math.isfinite(value):
            raise MalformedJson(f"{path or 'the body'}: a number too large to be finite")


def _join(path: str, key: str) -> str:
    if NOT_TEXT.search(key):  # the path is shown and logged: spell what cannot be text
        key = key.encode("unicode_escape").decode("ascii")
    return f"{path}.{key}" if path else key
