"""Tamper evidence: whatever is changed in the store behind rekap's back, `verify` names it."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from eventsourcing.persistence import JSONTranscoder, StoredEvent

from domain.tps_result import TpsResult
from service.audit.findings import HEADS, REPLAY, SHIFT
from service.audit.log import AuditLog
from service.audit.signing import TreeHeadSigner
from service.audit.verify import verify
from service.bootstrap import Services
from service.store.eventlog import events_table, position_column
from service.store.transcoder import EventTranscoder
from tests.factories import (
    CONTEST,
    ELECTION,
    TPS,
    kpps,
    setup_election,
    submit_votes,
    tps_form,
)


def _store_with_results(services: Services, head_after_setup: bool = False) -> list[int]:
    setup_election(services)
    if head_after_setup:
        services.runner.catch_up()  # the projection signs a head at its first batch
    positions = []
    for i, tps in enumerate(TPS):
        positions.append(submit_votes(services, tps, {"1": 50 + i, "2": 60, "3": 70}))
    services.runner.catch_up()
    AuditLog.of(services).publish()
    return positions


def _state(services: Services, position: int) -> bytes:
    db = services.db
    return bytes(
        db.scalar(
            f"SELECT state FROM {events_table(db)} WHERE {position_column(db)} = %s", (position,)
        )
    )


def _set_state(services: Services, position: int, state: bytes) -> None:
    db = services.db
    with db.transaction() as tx:
        tx.execute(
            f"UPDATE {events_table(db)} SET state = %s WHERE {position_column(db)} = %s",
            (state, position),
        )


def test_an_untouched_store_verifies(services: Services) -> None:
    _store_with_results(services)
    report = verify(services)
    assert report.ok, [d.describe() for d in report.differences]
    assert report.events == report.leaves == services.runner.head()
    assert report.heads == len(AuditLog.of(services).heads()) >= 1


def test_verify_names_a_changed_event_a_deleted_one_two_swapped_and_an_edited_row(
    services: Services,
) -> None:
    changed, deleted, first, second, *_ = _store_with_results(services)
    db = services.db
    _set_state(services, changed, _state(services, changed).replace(b'"1":50', b'"1":59'))
    with db.transaction() as tx:
        tx.execute(f"DELETE FROM {events_table(db)} WHERE {position_column(db)} = %s", (deleted,))
    a, b = _state(services, first), _state(services, second)
    _set_state(services, first, b)
    _set_state(services, second, a)
    with db.transaction() as tx:
        tx.execute(
            "UPDATE recap_total SET tps_reported = tps_reported + 1 "
            "WHERE election_id = %s AND code = %s",
            (ELECTION, "9102"),
        )

    report = verify(services)

    assert not report.ok
    events = {d.where.split(" (")[0]: d for d in report.differences if d.kind == "event"}
    assert set(events) == {f"at position {p}" for p in (changed, deleted, first, second)}
    assert "bytes differ" in events[f"at position {changed}"].detail
    assert "deleted" in events[f"at position {deleted}"].detail
    assert "bytes differ" in events[f"at position {first}"].detail
    assert "bytes differ" in events[f"at position {second}"].detail
    first = min((d for d in events.values()), key=lambda d: d.leaf or 0)
    assert first.follows.counts[HEADS] == 1, "the signed head no longer matches the store"
    rows = [d for d in report.differences if d.kind == "row"]
    edited = [d for d in rows if d.where == f"recap_total ('{ELECTION}', '{CONTEST}', '9102')"]
    assert edited and edited[0].expected == {"tps_reported": 1}
    assert edited[0].found == {"tps_reported": 2}


def test_a_forged_tree_head_signature_is_reported(services: Services) -> None:
    _store_with_results(services)
    with services.db.transaction() as tx:
        tx.execute("UPDATE audit_tree_head SET signature = %s", ("A" * 86 + "==",))
    report = verify(services, projections=False)
    heads = len(AuditLog.of(services).heads())
    assert [d.kind for d in report.differences] == ["tree_head"] * heads
    assert "signature" in report.differences[0].expected


# -- signed heads: deleted, missing, held by the auditor ---------------------------------------


def _signer(services: Services) -> TreeHeadSigner:
    return AuditLog.of(services).signer


def test_a_log_whose_signed_heads_were_all_deleted_fails_verification(services: Services) -> None:
    _store_with_results(services)
    with services.db.transaction() as tx:
        tx.execute("DELETE FROM audit_tree_head")

    report = verify(services)

    assert not report.ok
    assert [d.kind for d in report.differences] == ["tree_head"]
    assert report.differences[0].detail == (
        f"{services.runner.head()} events are not covered by any signed head: the store holds none"
    )
    assert report.unsigned == services.runner.head()


def test_events_logged_long_after_the_last_remaining_head_fail_and_a_recent_tail_is_a_note(
    services: Services,
) -> None:
    _store_with_results(services)
    size = services.runner.head() - 3
    root = AuditLog.of(services).root(size)

    def only_head(signed: datetime) -> None:
        head = _signer(services).sign(size, root, signed)
        with services.db.transaction() as tx:
            tx.execute("DELETE FROM audit_tree_head")
            tx.execute(
                "INSERT INTO audit_tree_head (size, root, timestamp, signature, key_id, position) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                (head.size, head.root, head.timestamp, head.signature, head.key_id, size),
            )

    only_head(datetime.now(UTC))  # the last 3 events came within the signing interval
    report = verify(services, projections=False)
    assert report.ok, [d.describe() for d in report.differences]
    assert any("3 events after the last signed head" in note for note in report.notes)

    only_head(datetime.now(UTC) - timedelta(hours=1))  # they came an hour after it: deleted
    report = verify(services, projections=False)
    assert [d.kind for d in report.differences] == ["tree_head"]
    assert "3 events after the last signed head" in report.differences[0].detail
    assert "later heads were deleted" in report.differences[0].detail


def _truncate(services: Services, keep: int) -> None:
    """Remove the log's last events with their leaves, nodes and heads: a consistent store."""
    db = services.db
    last = db.scalar("SELECT position FROM audit_leaf WHERE leaf_index = %s", (keep - 1,))
    with db.transaction() as tx:
        tx.execute(f"DELETE FROM {events_table(db)} WHERE {position_column(db)} > %s", (last,))
        tx.execute("DELETE FROM audit_leaf WHERE leaf_index >= %s", (keep,))
        tx.execute("DELETE FROM audit_node WHERE ((idx + 1) << level) > %s", (keep,))
        tx.execute("DELETE FROM audit_tree_head WHERE size > %s", (keep,))
        tx.execute("UPDATE projection_position SET position = %s WHERE name = 'merkle'", (last,))


def test_a_truncated_log_passes_on_its_own_but_fails_against_a_head_the_auditor_holds(
    services: Services,
) -> None:
    _store_with_results(services, head_after_setup=True)
    held = AuditLog.of(services).latest()
    assert verify(services, held=[held], projections=False).ok
    _truncate(services, held.size - 2)

    assert verify(services, projections=False).ok  # what the store says about itself
    report = verify(services, held=[held], projections=False)

    assert [d.detail for d in report.differences] == [
        "the store holds fewer events than this head was signed for"
    ]
    assert report.differences[0].where.startswith(f"the head you hold, size {held.size}")


def test_a_held_head_with_another_root_a_bad_signature_or_missing_from_the_store_fails(
    services: Services,
) -> None:
    _store_with_results(services, head_after_setup=True)
    audit = AuditLog.of(services)
    latest = audit.latest()
    other_root = _signer(services).sign(latest.size - 1, "ab" * 32)
    forged = replace(latest, signature="A" * 86 + "==")

    report = verify(services, held=[other_root, forged], projections=False)

    assert sorted(d.detail.split(" (")[0] for d in report.differences) == [
        "key_id " + latest.key_id,
        "the signed root differs from the root recomputed from the stored events",
    ]
    assert report.latest_verified == latest

    with services.db.transaction() as tx:
        tx.execute("DELETE FROM audit_tree_head WHERE size = %s", (latest.size,))
    report = verify(services, held=[latest], projections=False)
    assert [d.detail for d in report.differences] == ["the store's tree heads were deleted"]


# -- one cause, many consequences --------------------------------------------------------------


def test_one_deleted_event_is_one_finding_with_its_consequences_counted(
    services: Services,
) -> None:
    positions = _store_with_results(services)
    size = services.runner.head()
    deleted = positions[1]
    leaf = int(
        services.db.scalar("SELECT leaf_index FROM audit_leaf WHERE position = %s", (deleted,))
    )
    db = services.db
    with db.transaction() as tx:
        tx.execute(f"DELETE FROM {events_table(db)} WHERE {position_column(db)} = %s", (deleted,))

    report = verify(services)

    assert [d.where.split(" (")[0] for d in report.differences] == [f"at position {deleted}"]
    follows = report.differences[0].follows.counts
    assert follows[SHIFT] == size - 1 - leaf
    assert follows[HEADS] == 1
    assert follows["audit_leaf"] == size - leaf  # the shifted leaves and the last one
    assert follows["audit_node"] > 0
    assert follows["result_current"] == follows["result_version"] == 1
    assert follows["recap_total"] == 4  # its desa, kecamatan, kab/kota and province
    lines = list(report.lines())
    assert lines[1].strip().startswith(f"and {size - 1 - leaf} later leaves shift")
    assert lines[-1].startswith(f"FAILED (1 difference, and {report.consequences()} that follow")


def test_a_run_of_deleted_events_is_one_finding(services: Services) -> None:
    positions = _store_with_results(services)
    db = services.db
    with db.transaction() as tx:
        tx.execute(
            f"DELETE FROM {events_table(db)} WHERE {position_column(db)} BETWEEN %s AND %s",
            (positions[1], positions[3]),
        )
    report = verify(services, projections=False)
    assert [d.where.split(" (")[0] for d in report.differences] == [
        f"at positions {positions[1]} to {positions[3]}"
    ]
    assert "3 events" in report.differences[0].where


# -- what the projections cannot apply ---------------------------------------------------------


def test_an_event_that_cannot_be_decoded_is_a_finding_with_its_position(
    services: Services,
) -> None:
    _store_with_results(services)
    services.app.recorder.insert_events(
        [StoredEvent(uuid.uuid4(), 1, "rekap:NoSuch.Event", b'{"a": 1}')]
    )
    position = services.runner.head()

    report = verify(services)

    assert [(d.kind, d.position) for d in report.differences] == [("projection", position)]
    assert "cannot be decoded" in report.differences[0].found
    assert any("not compared" in note for note in report.notes)


def test_an_event_rewritten_into_bytes_that_do_not_decode_is_one_finding_the_replay_stops_at(
    services: Services,
) -> None:
    positions = _store_with_results(services)
    _set_state(services, positions[2], b'{"votes": ')

    report = verify(services)

    assert [(d.kind, d.position) for d in report.differences] == [("event", positions[2])]
    assert report.differences[0].follows.counts[REPLAY] == 1
    assert "the projections cannot replay past it" in list(report.lines())[1]


def test_a_correction_postgresql_cannot_store_in_a_read_model_is_a_finding_there(
    services: Services, backend: str
) -> None:
    positions = _store_with_results(services)
    tps = TPS[0]
    result = services.app.repository.get(TpsResult.create_id(ELECTION, CONTEST, tps))
    form = tps_form(tps, {"1": 51, "2": 60, "3": 70})
    result.correct(form=form, reason="salah\x00baca", expected_version=1, actor=kpps(tps).to_dict())
    # A store written before rekap refused such events: store it as the library would have.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(EventTranscoder, "encode", JSONTranscoder.encode)
        services.app.save(result)
    position = services.runner.head()
    assert position > positions[-1]

    report = verify(services)

    if backend == "sqlite":  # SQLite keeps a NUL in text: nothing stops there
        assert report.ok, [d.describe() for d in report.differences]
        return
    assert [(d.kind, d.position) for d in report.differences] == [("projection", position)]
    assert "the recap projection cannot apply the event" in report.differences[0].found
