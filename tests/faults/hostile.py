"""The hostile variants of a write endpoint's valid body, kind by kind (issue 10): NUL and
other control characters, lone surrogates, JSON nested 1,000 deep, duplicate keys, huge numbers,
huge strings, wrong types, empty bodies, wrong content types, bodies near the size limits and
hostile path segments. Each must be answered 4xx application/problem+json and change nothing.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.factories import TPS
from tests.faults.write_steps import Step

MAX_BODY = 64 * 1024 * 1024  # api/app.py
MAX_EVIDENCE = 10 * 1024 * 1024  # service/evidence.py
HUGE_TEXT = 2 * 1024 * 1024  # characters: "huge strings (megabytes)"
DEPTH = 1000
PDF = b"%PDF-1.4 C.Hasil page 1\n"

KINDS = (
    "nul",
    "control_characters",
    "lone_surrogates",
    "deep_nesting",
    "duplicate_keys",
    "huge_numbers",
    "huge_strings",
    "wrong_types",
    "empty_bodies",
    "content_types",
    "size_limits",
    "hostile_paths",
)


class Raw:
    """A JSON value written as these characters, which Python's json would never write."""

    def __init__(self, text: str) -> None:
        self.text = text


@dataclass
class Variant:
    kind: str
    label: str
    body: bytes | None
    headers: dict[str, str] = field(default_factory=dict)
    path: str | None = None  # instead of the step's path


def setting(document: Any, path: str, value: Any) -> Any:
    """A copy of `document` with the field at dotted `path` set to `value`."""
    changed = copy.deepcopy(document)
    *parents, last = path.split(".")
    node = changed
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return changed


def getting(document: Any, path: str) -> Any:
    node = document
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def encode(document: Any) -> bytes:
    """JSON, with each Raw value written as its own characters."""
    raws: list[str] = []

    def mark(value: Any) -> Any:
        if isinstance(value, Raw):
            raws.append(value.text)
            return f"@@raw{len(raws) - 1}@@"
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mark(v) for v in value]
        return value

    text = json.dumps(mark(document))
    for i, raw in enumerate(raws):
        text = text.replace(f'"@@raw{i}@@"', raw)
    return text.encode("utf-8", "surrogatepass")


def nested(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + close * depth


TEXT_VALUES = {
    "nul": ["a\x00b"],
    "control_characters": ["a\x01b", "\x1b[31mred\x7f"],
    "lone_surrogates": ["\ud800", "a\udfffb"],
    "huge_strings": ["x" * HUGE_TEXT],
}
NUMBER_VALUES = [
    Raw(str(2**70)),
    Raw(str(-(2**70))),
    Raw("1e400"),
    Raw("-1e400"),
    Raw("-0.0"),
    Raw("NaN"),
    Raw("Infinity"),
    Raw("-Infinity"),
    Raw("1.5"),
    Raw("1e2"),
]
WRONG_TEXT = [12345, ["a"]]
WRONG_NUMBER = ["12", True]
WRONG_FLAG = ["true", 1, None]


def variants(step: Step, kind: str, body: Any) -> Iterator[Variant]:
    """The hostile variants of one kind for a step whose valid body is `body`."""
    if step.name == "upload evidence":
        yield from _evidence_variants(kind)
        return
    if body is None:  # a command without a body: only its path is the client's
        if kind == "hostile_paths":
            yield from _path_variants(step)
        return
    json_headers = {"Content-Type": "application/json"}

    def at(path: str, value: Any, label: str) -> Variant:
        return Variant(kind, f"{label} in {path}", encode(setting(body, path, value)), json_headers)

    if kind in TEXT_VALUES:
        for path in step.text:
            for value in TEXT_VALUES[kind]:
                shown = value if len(value) < 20 else f"{len(value):,} chars"
                yield at(path, value, repr(shown))
        if kind in ("nul", "lone_surrogates") and step.forms:
            key = "1\x00" if kind == "nul" else "\ud800"
            votes = getting(body, f"{step.forms[0]}.votes")
            yield at(f"{step.forms[0]}.votes", {**votes, key: 1}, f"key {key!r}")
    elif kind == "huge_numbers":
        for path in step.numbers:
            for raw in NUMBER_VALUES:
                yield at(path, raw, raw.text if len(raw.text) < 20 else "2**70")
    elif kind == "wrong_types":
        for path in step.text:
            for value in WRONG_TEXT:
                yield at(path, value, f"{value!r}")
        for path in step.numbers:
            for value in WRONG_NUMBER:
                yield at(path, value, f"{value!r}")
        for path in step.flags:
            for value in WRONG_FLAG:
                yield at(path, value, f"{value!r}")
        for whole in ([] if isinstance(body, dict) else {}, "text", None):
            yield Variant(kind, f"body {whole!r}", encode(whole), json_headers)
    elif kind == "deep_nesting":
        yield Variant(kind, f"body [[...]] {DEPTH} deep", nested(DEPTH).encode(), json_headers)
        deep_object = '{"a":' * DEPTH + "1" + "}" * DEPTH
        yield Variant(kind, f'body {{"a":...}} {DEPTH} deep', deep_object.encode(), json_headers)
        first = (step.text or step.numbers)[0]
        yield at(first, Raw(nested(DEPTH)), f"[[...]] {DEPTH} deep")
    elif kind == "duplicate_keys":
        yield from _duplicate_key_variants(step, body)
    elif kind == "empty_bodies":
        yield Variant(kind, "empty, as JSON", b"", json_headers)
        yield Variant(kind, "no body, no Content-Type", None)
        yield Variant(kind, "whitespace only", b"  \n ", json_headers)
    elif kind == "content_types":
        valid = encode(body)
        yield Variant(kind, "the JSON as text/plain", valid, {"Content-Type": "text/plain"})
        yield Variant(
            kind, "a form", b"a=1&b=2", {"Content-Type": "application/x-www-form-urlencoded"}
        )
        yield Variant(
            kind,
            "multipart",
            b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
            {"Content-Type": "multipart/form-data; boundary=x"},
        )
        yield Variant(kind, "the JSON as a PDF", valid, {"Content-Type": "application/pdf"})
        yield Variant(kind, "invalid UTF-8", b'{"a": "\xff\xfe\xed\xa0\x80"}', json_headers)
    elif kind == "size_limits" and step.name in ("create election", "bulk import"):
        yield from _size_variants(step, body)
    elif kind == "hostile_paths":
        yield from _path_variants(step)


def _duplicate_key_variants(step: Step, body: Any) -> Iterator[Variant]:
    headers = {"Content-Type": "application/json"}
    text = encode(body).decode()
    if isinstance(body, dict) and step.text:
        key = step.text[0].split(".")[0]
        other = json.dumps(_other_value(body[key]))
        doubled = "{" + f'"{key}": {other}, ' + text[1:]
        yield Variant("duplicate_keys", f'"{key}" twice', doubled.encode(), headers)
    for path in step.forms:
        votes = getting(body, f"{path}.votes")
        first = json.dumps(votes)
        doubled = '{"1": 999, ' + first[1:]
        yield Variant(
            "duplicate_keys",
            f'{{"1": 999, "1": {votes["1"]}}} in {path}.votes',
            text.replace(first, doubled, 1).encode(),
            headers,
        )


def _other_value(value: Any) -> Any:
    if isinstance(value, str):
        return value + "-other"
    if isinstance(value, bool):
        return not value
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [{**value[0], "tps": TPS[5]}]
    return value


def _size_variants(step: Step, body: Any) -> Iterator[Variant]:
    headers = {"Content-Type": "application/json"}
    over = b'{"id": "big", "name": "' + b"x" * MAX_BODY + b'"}'
    yield Variant("size_limits", "64 MiB + 1 over the body limit", over, headers)
    if step.name == "create election":
        filler = MAX_BODY - 64
        under = b'{"id": "big", "name": "' + b"x" * filler + b'"}'
        assert len(under) <= MAX_BODY
        yield Variant("size_limits", "a name just under 64 MiB", under, headers)


def _evidence_variants(kind: str) -> Iterator[Variant]:
    pdf = {"Content-Type": "application/pdf"}
    if kind == "empty_bodies":
        yield Variant(kind, "empty", b"", pdf)
        yield Variant(kind, "no body, no Content-Type", None)
    elif kind == "content_types":
        yield Variant(kind, "JSON", b'{"a": 1}', {"Content-Type": "application/json"})
        yield Variant(kind, "an executable", b"\x7fELF\x02\x01\x01" + b"\0" * 64, pdf)
        yield Variant(kind, "HTML", b"<html><script>alert(1)</script></html>", pdf)
    elif kind == "size_limits":
        yield Variant(kind, "a PDF 10 MiB + 1", PDF + b"0" * (MAX_EVIDENCE + 1 - len(PDF)), pdf)
        yield Variant(kind, "10 MiB that is no page", b"0" * MAX_EVIDENCE, pdf)
    elif kind == "nul":
        yield Variant(kind, "NUL bytes", b"\0" * 1024, pdf)


def _path_variants(step: Step) -> Iterator[Variant]:
    for param in step.path_params:
        for label, value in (
            ("%00", "%00"),
            ("a lone surrogate as UTF-8", "%ED%A0%80"),
            ("invalid UTF-8", "%FF%FE"),
            ("an overlong NUL", "%C0%80"),
            ("a code with NUL", "9101011001001%00"),
            ("3,000 digits", "9" * 3000),
        ):
            yield Variant(
                "hostile_paths", f"{label} for {param}", None, path=step.path.replace(param, value)
            )
