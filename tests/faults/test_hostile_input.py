"""Every hostile input through every write endpoint of the live server (issue 10).

Each kind of hostile input (hostile.py) walks all the write endpoints (walk.py) in an election
of its own, on one live server per store: every hostile request is a 4xx
application/problem+json and changes nothing; the valid request after them is accepted. Kinds
that fail today on known defects stop at their first failure: they are there to turn red when
the fix lands.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from service.bootstrap import build_services
from tests.factories import CONTEST, TPS
from tests.faults.conftest import Recorder, fresh_store, running
from tests.faults.defects import FOUND_HERE, expect, known_defect
from tests.faults.hostile import KINDS
from tests.faults.load import read_until_there
from tests.faults.servers import LiveServer, Store
from tests.faults.walk import Outcome, Walk
from tests.faults.write_steps import form

pytestmark = pytest.mark.slow

FAILING: dict[str, str] = {}  # kinds of hostile input that fail today (none, since issue 10)
PASSING = tuple(k for k in KINDS if k not in FAILING)


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def hostile(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    directory = tmp_path_factory.mktemp(f"hostile-{request.param}")
    with fresh_store(request.param, directory) as store:
        tokens = hostile_tokens(store)
        with running(store, directory) as server:
            yield server, tokens


def hostile_tokens(store: Store) -> dict[str, str]:
    """A token of each role the walk's steps need."""
    services = build_services(store.settings)
    try:

        def token(role: str, scope: str | None = None, **extra: Any) -> str:
            return services.tokens.create(role, scope, name=f"hostile {role}", **extra)[0]

        return {
            "admin": token("admin"),
            "operator": token("operator", "9101"),
            "ppk": token("ppk", "910101"),
            "saksi": token("saksi", "91", contest=CONTEST, candidate=1),
            "bawaslu": token("bawaslu", "91"),
            "court": token("court"),
        }
    finally:
        services.close()


def walk(hostile: tuple[LiveServer, dict[str, str]], kind: str, stop: bool) -> list[Outcome]:
    server, tokens = hostile
    return Walk(server, tokens, f"h-{kind.replace('_', '-')}").run((kind,), stop_at_first=stop)


def failures(outcomes: list[Outcome]) -> str:
    bad = [o for o in outcomes if o.failure]
    lines = [f"{o.step}: {o.label[:60]} -> {o.failure}" for o in bad[:10]]
    return f"{len(bad)} of {len(outcomes)} hostile requests:\n" + "\n".join(lines)


def tally(record: Recorder, server: LiveServer, kind: str, outcomes: list[Outcome]) -> None:
    bad = [o for o in outcomes if o.failure]
    record(
        f"hostile: {kind}",
        server.store.backend,
        requests=len(outcomes),
        refused=sum(1 for o in outcomes if 400 <= o.status < 500),
        acknowledged=sum(1 for o in outcomes if o.changed),
        **{"5xx_other": sum(1 for o in outcomes if o.status >= 500)},
        note=f"{len(bad)} failures" + (", stopped at the first" if kind in FAILING else ""),
    )


@pytest.mark.parametrize(
    "kind",
    [
        *PASSING,
        *(pytest.param(k, marks=known_defect(FOUND_HERE, why)) for k, why in FAILING.items()),
    ],
)
def test_hostile_input_of_each_kind_is_refused_with_a_problem_and_changes_nothing(
    hostile: tuple[LiveServer, dict[str, str]], record: Recorder, kind: str
) -> None:
    """A kind that fails today (FAILING) stops at its first failure, a known defect."""
    outcomes = walk(hostile, kind, stop=kind in FAILING)
    tally(record, hostile[0], kind, outcomes)
    assert outcomes, f"no {kind} variant was sent"
    if kind in FAILING:
        expect(not any(o.failure for o in outcomes), failures(outcomes))
    else:
        assert not any(o.failure for o in outcomes), failures(outcomes)


def test_after_all_that_hostile_input_the_store_verifies_and_the_read_models_follow(
    hostile: tuple[LiveServer, dict[str, str]],
) -> None:
    server, tokens = hostile
    walked = Walk(server, tokens, f"h-after-{uuid.uuid4().hex[:6]}")
    walked.run(())  # every valid request, no hostile one: the service still works
    head = walked.log_head()
    found = read_until_there(walked.url(f"contests/{CONTEST}/tps/{TPS[0]}?wait_for={head}"))
    assert found.status == 200, found.body[:300]
    assert found.json["form"] == form(TPS[0], shift=4)  # the re-vote, the walk's last write
    verify = server.audit_verify()
    assert verify.returncode == 0, verify.stdout[-3000:] + verify.stderr[-3000:]
