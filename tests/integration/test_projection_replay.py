"""Property: whatever the sequence of submissions and corrections, and however the live
projection batched them, the live recap equals a fresh replay of the log."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from service.bootstrap import Services
from service.input import results as given_results
from service.read.projections.recap import RecapProjection
from service.read.projections.replay import compare_tables, drop_scratch, replay
from service.usecases.bulk import submit_bulk
from service.usecases.results import correct, submit
from tests.factories import CONTEST, DPT, TPS, operator, pilkada_form, setup_election, submission

votes = st.fixed_dictionaries({k: st.integers(0, 60) for k in ("1", "2", "3")})
operations = st.lists(
    st.one_of(
        st.tuples(st.just("submit"), st.sampled_from(TPS), votes, st.integers(0, 2)),
        st.tuples(st.just("correct"), st.sampled_from(TPS), votes, st.integers(1, 3)),
        st.tuples(
            st.just("bulk"), st.lists(st.sampled_from(TPS), max_size=4), votes, st.integers(0, 2)
        ),
        st.tuples(st.just("catch_up"), st.none(), st.none(), st.none()),
    ),
    max_size=14,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations)
def test_the_live_recap_equals_a_fresh_replay_of_the_log(services: Services, ops: list) -> None:
    election = f"prop-{uuid.uuid4().hex[:8]}"
    setup_election(services, election_id=election)
    ids = [str(uuid.uuid4()) for _ in range(3)]
    who = operator("91")
    for kind, target, figures, number in ops:
        try:
            if kind == "submit":
                body = submission(pilkada_form(DPT[target], figures), ids[number])
                submit(
                    services.results, who, election, CONTEST, given_results.submission(target, body)
                )
            elif kind == "correct":
                form = pilkada_form(DPT[target], figures, invalid=number)
                correct(
                    services.results,
                    who,
                    election,
                    CONTEST,
                    given_results.correction(target, {"form": form, "reason": "property"}, number),
                )
            elif kind == "bulk":
                items = [
                    {"tps": t, **submission(pilkada_form(DPT[t], figures), ids[number])}
                    for t in target
                ]
                submit_bulk(
                    services.results, who, election, CONTEST, given_results.bulk_items(items)
                )
            else:
                services.runner.catch_up()
        except DomainError:
            pass  # conflicts and stale versions are part of the sequence
    services.runner.catch_up()
    runner = replay(services.app, services.db, [RecapProjection])
    try:
        assert compare_tables(services.db, RecapProjection().primary_keys()) == []
    finally:
        drop_scratch(services.db, runner)
