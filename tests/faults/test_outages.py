"""The database's backends terminated under load, several times (issue 10).

`pg_terminate_backend` on every connection of the store's database, as a PostgreSQL restart or
a failover does: the workers' pools, the projection processes and the recorder all lose their
connections at once. Requests in flight may be answered 503 (retried by the client with the same
submission_id); none may be a 500, and nothing acknowledged may be lost.
"""

from __future__ import annotations

import time

import pytest

from tests.faults.conftest import Recorder
from tests.faults.defects import SLOW_OUTAGE, expect, known_defect
from tests.faults.province import Province
from tests.faults.servers import refuse_connections, terminate_backends

pytestmark = pytest.mark.slow

TERMINATIONS = 3
BETWEEN = 1.0  # seconds between two terminations
WARM_UP = 1.0
AFTER = 2.0


def test_terminating_every_backend_of_the_database_under_load_loses_no_acknowledged_write(
    pg_province: Province, record: Recorder
) -> None:
    server = pg_province.server
    load = pg_province.load()
    load.start()
    time.sleep(WARM_UP)
    terminated = []
    for i in range(TERMINATIONS):
        if i:
            time.sleep(BETWEEN)
        terminated.append(terminate_backends(server.store))
    recovery = pg_province.recovery(load, time.monotonic())
    time.sleep(AFTER)
    load.stop()
    lost = pg_province.check_nothing_lost(load)
    record(
        f"pg_terminate_backend x{TERMINATIONS}",
        "postgresql",
        **load.figures(),
        lost=lost,
        recovery_s=recovery,
        note=f"backends terminated {terminated}",
    )
    assert recovery is not None


OUTAGE = 8.0  # seconds the database refuses every connection
ANSWERED_WITHIN = 5.0  # a store that does not answer is a prompt 503, not a request held


@known_defect(
    SLOW_OUTAGE,
    "requests are held while the database is down (8-14 s for an 8 s outage), not a prompt 503",
)
def test_a_database_that_refuses_connections_is_answered_503_promptly_and_loses_nothing(
    pg_province: Province, record: Recorder
) -> None:
    server = pg_province.server
    load = pg_province.load()
    load.start()
    time.sleep(WARM_UP)
    refuse_connections(server.store, True)
    try:
        terminate_backends(server.store)
        time.sleep(OUTAGE)
    finally:
        refuse_connections(server.store, False)
    recovery = pg_province.recovery(load, time.monotonic())
    time.sleep(AFTER)
    load.stop()
    lost = pg_province.check_nothing_lost(load)
    record(
        f"database down {OUTAGE:.0f} s",
        "postgresql",
        **load.figures(),
        lost=lost,
        recovery_s=recovery,
        note=f"answers {dict(load.tally.statuses)}",
    )
    assert recovery is not None
    expect(
        load.tally.slowest <= ANSWERED_WITHIN and load.tally.statuses[503] > 0,
        f"during the outage the slowest request took {load.tally.slowest:.1f} s; "
        f"answers {dict(load.tally.statuses)}",
    )
