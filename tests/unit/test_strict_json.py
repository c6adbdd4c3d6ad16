"""Strict JSON: what the store cannot hold is named field by field, and a body that is not
walked (the fast path) is one in which a walk would have found nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import ErrorList, InvalidInput
from service.input.strict_json import MalformedJson, _check, parse_json, read_json
from tests.api.hostile import HOSTILE_TEXT

TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(HOSTILE_TEXT),
    st.characters(codec=None).map(str),
)
LEAF = st.one_of(
    TEXT, st.integers(-(2**60), 2**60), st.floats(allow_nan=False), st.booleans(), st.none()
)
DOCUMENT = st.recursive(
    LEAF,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=30,
)


def walked(document: Any) -> list[tuple[str, str]]:
    errors = ErrorList()
    _check(document, errors)
    return [(e.field, e.message) for e in errors.errors]


@settings(max_examples=300, deadline=None)
@given(DOCUMENT)
def test_what_is_refused_is_what_a_walk_of_the_whole_document_finds(document: Any) -> None:
    raw = json.dumps(document)  # lone surrogates and controls written as \\u escapes
    try:
        parsed, faults = read_json(raw)
    except MalformedJson:
        return  # nested too deep for the generated depth: refused as a whole
    assert [(e.field, e.message) for e in faults] == walked(parsed)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"a": "x\\u0000"}', "a"),
        ('{"a": "x\\b"}', "a"),
        ('{"a": "\\f"}', "a"),
        ('{"a": "\\ud800"}', "a"),
        ('{"a": "\u202e"}', "a"),
        ('{"a": "\u0085"}', "a"),
        ('{"a": 1, "a": 2}', "a"),
        ('{"a": 12345678901234567890}', "a"),
        ('{"a": {"b": ["\\u001b"]}}', "a.b.0"),
    ],
)
def test_each_kind_of_fault_is_found_on_the_fast_path_too(raw: str, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_json(raw)
    assert [e.field for e in refused.value.errors] == [field]


def test_escapes_that_are_text_pass_and_a_backslash_before_b_is_only_looked_at() -> None:
    assert parse_json('{"a": "tab\\there\\nline \\"quoted\\" C:\\\\bin"}')["a"].endswith("bin")
    assert parse_json('{"a": "\\u00e9t\\u00e9"}') == {"a": "été"}
    with pytest.raises(MalformedJson):
        parse_json('{"a": 1e400}')
