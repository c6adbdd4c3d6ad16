"""The one-round-trip recorder stores exactly what the library's recorder would."""

from __future__ import annotations

from uuid import uuid4

import pytest
from eventsourcing.persistence import DataError, IntegrityError, StoredEvent

from service.bootstrap import Services
from service.store.recorder import OneTripRecorder
from tests.conftest import POSTGRESQL_ONLY

pytestmark = POSTGRESQL_ONLY


@pytest.fixture
def recorder(services: Services) -> OneTripRecorder:
    assert isinstance(services.app.recorder, OneTripRecorder)
    return services.app.recorder


def test_events_are_stored_byte_for_byte_with_ids_in_order(recorder: OneTripRecorder) -> None:
    first, second = uuid4(), uuid4()
    events = [
        StoredEvent(first, 1, "rekap:It's.Quoted\\", b"\x00\x01{'state'}\\x"),
        StoredEvent(first, 2, "rekap:Next", b""),
        StoredEvent(second, 1, "rekap:Other", bytes(range(256))),
    ]
    ids = recorder.insert_events(events)
    assert ids is not None and len(ids) == 3 and ids == sorted(ids)
    assert recorder.select_events(first) + recorder.select_events(second) == events
    notifications = recorder.select_notifications(start=ids[0], limit=10)
    assert [(n.id, n.originator_id, n.originator_version) for n in notifications] == [
        (i, e.originator_id, e.originator_version) for i, e in zip(ids, events, strict=True)
    ]


def test_a_duplicate_writes_nothing_and_the_connection_stays_usable(
    recorder: OneTripRecorder,
) -> None:
    taken = uuid4()
    recorder.insert_events([StoredEvent(taken, 1, "t", b"a")])
    fresh = uuid4()
    for _ in range(6):  # more than the pool holds: every connection was given back clean
        with pytest.raises(IntegrityError):
            recorder.insert_events(
                [StoredEvent(fresh, 1, "t", b"b"), StoredEvent(taken, 1, "t", b"c")]
            )
    assert recorder.select_events(fresh) == []
    assert recorder.insert_events([StoredEvent(fresh, 1, "t", b"d")])
    assert [e.state for e in recorder.select_events(taken)] == [b"a"]


def test_a_topic_with_a_nul_is_refused_and_nothing_is_stored(recorder: OneTripRecorder) -> None:
    # libpq's quoting would cut "rekap:A\x00B" to "rekap:A": another topic, stored silently.
    oid = uuid4()
    with pytest.raises(DataError, match="NUL"):
        recorder.insert_events([StoredEvent(oid, 1, "rekap:A\x00B", b"{}")])
    assert recorder.select_events(oid) == []
