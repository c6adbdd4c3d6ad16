"""The fast way back from stored bytes gives exactly what the library's own decoder gives."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex
from hypothesis import given, settings
from hypothesis import strategies as st

from service.store.transcoder import EventTranscoder


def _registered(transcoder: JSONTranscoder) -> JSONTranscoder:
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return transcoder


LIBRARY = _registered(JSONTranscoder())
FAST = _registered(EventTranscoder())
NOW = datetime(2024, 2, 14, 13, 0, 5, 123456, tzinfo=UTC)


def round_trip(state: dict[str, Any]) -> tuple[Any, Any]:
    data = LIBRARY.encode(state)
    return FAST.decode(data), LIBRARY.decode(data)


def test_an_event_whose_only_custom_value_is_its_timestamp_decodes_as_the_library_does() -> None:
    state = {"timestamp": NOW, "tps": "3171010001001", "form": {"votes": {"1": 10}}}
    fast, library = round_trip(state)
    assert fast == library == state
    assert isinstance(fast["timestamp"], datetime)


def test_custom_values_anywhere_else_go_the_library_way() -> None:
    state = {"timestamp": NOW, "ids": [uuid4()], "amount": Decimal("1.5"), "at": {"t": NOW}}
    fast, library = round_trip(state)
    assert fast == library == state


def test_text_that_names_the_type_key_does_not_fool_it() -> None:
    state = {"timestamp": NOW, "reason": '"_type_": "datetime_iso"', "_type_": "x"}
    fast, library = round_trip(state)
    assert fast == library == state


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)
typed_values = st.sampled_from([NOW, uuid4(), Decimal("2.25")])


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.text(max_size=8), json_values | typed_values, max_size=6),
    st.booleans(),
)
def test_any_state_decodes_as_the_library_decodes_it(state: dict[str, Any], stamped: bool) -> None:
    if stamped:
        state["timestamp"] = NOW
    fast, library = round_trip(state)
    assert fast == library
