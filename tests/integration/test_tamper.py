"""Tamper evidence: whatever is changed in the store behind rekap's back, `verify` names it."""

from __future__ import annotations

from service.audit.log import AuditLog
from service.audit.verify import verify
from service.bootstrap import Services
from service.eventlog import events_table, position_column
from service.results import submit
from tests.factories import (
    CONTEST,
    DPT,
    ELECTION,
    TPS,
    kpps,
    pilkada_form,
    setup_election,
    submission,
)


def _store_with_results(services: Services) -> list[int]:
    setup_election(services)
    positions = []
    for i, tps in enumerate(TPS):
        body = submission(pilkada_form(DPT[tps], {"1": 50 + i, "2": 60, "3": 70}))
        positions.append(submit(services.results, kpps(tps), ELECTION, CONTEST, tps, body).position)
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
    heads = [d for d in report.differences if d.kind == "tree_head"]
    assert heads, "the signed head no longer matches the store"
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
