"""Hostile JSON for the structure-aware fuzz: what clients can send that JSON libraries accept.

A document is built from Python values; `Twice` stands for an object that names a key twice
(which no dict can hold), and `encode` writes the raw body, lone surrogates and NaN included.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

HOSTILE_TEXT = [
    "x\u0000y",
    "\u0000",
    "\ud800",
    "a\udfffb",
    "bell\u0007",
    "esc\u001b[31m",
    "del\u007f",
    "\u0085next line",
    "\u202eevil.exe",
    "\u2066isolated",
    "",
    " ",
    "x" * 5000,
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    "'; DROP TABLE rekap_events; --",
    "%00",
    "\\u0000",
    "9101011001001\u0000",
    "31.71.01.1001.001",
    "Jakarta Pusat \U0001f5f3",
]
HOSTILE_NUMBERS: list[Any] = [
    -1,
    1000,
    2**31,
    2**53 + 1,
    2**70,
    -(2**70),
    1.5,
    -0.0,
    1e308,
    float("nan"),
    float("inf"),
    True,
    None,
]


@dataclass(frozen=True)
class Twice:
    """An object whose `key` appears twice: first with `first`, then with the document's value."""

    key: str
    first: Any
    rest: dict[str, Any]


@dataclass(frozen=True)
class Raw:
    """JSON text written as it is (nesting too deep for any recursive code to build)."""

    text: str


def encode(value: Any) -> str:
    """The raw JSON body (NaN and Infinity as Python writes them, lone surrogates escaped)."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Twice):
        members = [(value.key, value.first), *value.rest.items()]
        return "{" + ", ".join(f"{json.dumps(k)}: {encode(v)}" for k, v in members) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(encode(v) for v in value) + "]"
    return json.dumps(value)


def hostile_leaf() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(HOSTILE_TEXT),
        st.sampled_from(HOSTILE_NUMBERS),
        st.text(max_size=30),
        st.integers(),
        st.sampled_from([33, 200, 1000]).map(lambda depth: Raw("[" * depth + "]" * depth)),
        st.lists(st.integers(0, 999), max_size=3),
        st.dictionaries(st.sampled_from(["1", "l", "x"]), st.integers(0, 999), max_size=2),
    )


@st.composite
def mutated(draw: st.DrawFn, document: dict[str, Any]) -> Any:
    """`document` with one to three members changed, removed, added or given twice."""
    result: Any = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(result))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = result
        for part in path[:-1]:
            parent = parent[part]
        key = path[-1]
        action = draw(st.sampled_from(["replace", "remove", "add", "twice"]))
        if action == "replace":
            parent[key] = draw(hostile_leaf())
        elif action == "remove" and isinstance(parent, dict):
            del parent[key]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from([*HOSTILE_TEXT, "extra", "1", "99"]))] = draw(
                hostile_leaf()
            )
        elif action == "twice" and isinstance(parent, dict):
            rest = dict(parent)
            parent.clear()
            parent.update({"__twice__": Twice(str(key), draw(hostile_leaf()), rest)})
    return _unwrap(result)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, member in value.items():
            if isinstance(member, Twice):
                continue
            found.append((*prefix, key))
            found.extend(_paths(member, (*prefix, key)))
    elif isinstance(value, list):
        for i, member in enumerate(value):
            found.append((*prefix, i))
            found.extend(_paths(member, (*prefix, i)))
    return found


def _unwrap(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__twice__"}:
            return value["__twice__"]
        return {k: _unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value
