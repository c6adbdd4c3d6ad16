"""schemathesis against the OpenAPI document: no 500, every answer matches its documentation.

Each operation is fuzzed with a bounded number of positive and negative examples, with tokens
that may write (admin for set-up, an operator of kab 9101 for results and evidence) and the
election's real ids in the path half of the time, so requests reach the service layer.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from api.app import create_app
from service.bootstrap import Services
from tests.factories import CONTEST, ELECTION, setup_election
from tests.live import projections_running

EXAMPLES = 12
ADMIN_PATHS = (
    "/api/v1/elections",
    "/api/v1/elections/{eid}/contests",
    "/api/v1/elections/{eid}/regions",
)

# A schema-valid request may still break a rule the schema cannot know: a candidate number the
# contest does not have, a list name of another kind of contest, a wait_for beyond the log. Those
# are 422/400 by design, so "schema-valid data is accepted" does not hold for this API.
EXCLUDED = [positive_data_acceptance]
# A bulk import answers 200 with a status per item, a malformed item included (by design: one bad
# form must not hold back a province), so "schema-violating data is rejected" holds per item.
BULK = "/api/v1/elections/{eid}/contests/{cid}/submissions:bulk"

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    # One backend: this test is about the HTTP contract, which does not depend on the store.
    return str(request.param)


def test_every_operation_answers_as_documented(services: Services) -> None:
    setup_election(services)
    services.runner.catch_up()
    app = create_app(services, {"REKAP_WAIT_TIMEOUT": 5})
    admin = services.tokens.create("admin")[0]
    operator = services.tokens.create("operator", "9101")[0]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    started = time.perf_counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14

    # The projections run as in production, so a read that waits for a write gets there.
    with projections_running(services):
        for operation in operations:
            token = admin if operation.path in ADMIN_PATHS else operator
            headers = {"Authorization": f"Bearer {token}"}
            excluded = EXCLUDED + ([negative_data_rejection] if operation.path == BULK else [])
            t0 = time.perf_counter()
            _fuzz(operation, headers, excluded)
            print(f"{operation.method.upper()} {operation.path}: {time.perf_counter() - t0:.1f} s")
    elapsed = time.perf_counter() - started
    print(f"schemathesis: {len(operations)} operations in {elapsed:.1f} s")


def _fuzz(operation: Any, headers: dict[str, str], excluded: list[Any]) -> None:
    ids = {k: v for k, v in (("eid", ELECTION), ("cid", CONTEST)) if f"{{{k}}}" in operation.path}
    strategies = [
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    ]
    if ids:
        strategies.append(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=ids)
        )

    @settings(
        max_examples=EXAMPLES * len(strategies),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies))
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    check()
