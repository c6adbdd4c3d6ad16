"""Submitting and correcting TPS results, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy

import pytest

from api.problems import status_of
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound, StaleVersion
from service.bootstrap import Services
from service.input import results as given_results
from service.usecases.bulk import BulkItem, submit_bulk
from service.usecases.results import submit
from tests.factories import (
    CONTEST,
    DPT,
    ELECTION,
    TPS,
    kpps,
    kpps_corrects,
    kpps_submits,
    operator,
    pilkada_form,
    setup_election,
    submission,
    tps_body,
    tps_form,
)


@pytest.fixture
def ready(services: Services) -> Services:
    setup_election(services)
    return services


def test_a_first_submission_is_stored_and_counted_in_every_tier(ready: Services) -> None:
    tps = TPS[0]
    outcome = kpps_submits(ready, tps, tps_body(tps, {"1": 50, "2": 40, "3": 30}))
    assert outcome.created and outcome.version == 1 and outcome.anomalies == []
    assert ready.runner.catch_up() > 0
    for code in ("9101011001", "910101", "9101", "91"):
        recap = ready.queries.region(ELECTION, CONTEST, code)
        assert recap["votes"] == {"1": 50, "2": 40, "3": 30}
        assert recap["valid"] == 120 and recap["invalid"] == 2 and recap["total"] == 122
        assert recap["tps_reported"] == 1
    top = ready.queries.region(ELECTION, CONTEST, "91")
    assert top["tps_total"] == 6 and top["dpt"] == sum(DPT.values())
    assert top["progress"] == round(100 / 6, 2)
    assert top["winner"]["status"] == "pending"


def test_a_retried_submission_id_is_one_submission(ready: Services) -> None:
    tps = TPS[1]
    body = tps_body(tps, {"1": 10, "2": 20, "3": 30})
    first = kpps_submits(ready, tps, body)
    again = kpps_submits(ready, tps, body)
    assert first.created and not again.created
    assert again.version == 1 and again.position == first.position
    assert ready.app.recorder.max_notification_id() == first.position


def test_a_different_first_submission_is_a_conflict_not_an_overwrite(ready: Services) -> None:
    tps = TPS[1]
    kpps_submits(ready, tps, tps_body(tps, {"1": 10, "2": 20, "3": 30}))
    with pytest.raises(Conflict):
        kpps_submits(ready, tps, tps_body(tps, {"1": 11, "2": 20, "3": 30}))
    ready.runner.catch_up()
    assert ready.queries.tps_result(ELECTION, CONTEST, tps)["form"]["votes"]["1"] == 10


def test_a_correction_keeps_the_first_submission_readable(ready: Services) -> None:
    tps = TPS[2]
    fixed = tps_form(tps, {"1": 152, "2": 20, "3": 30})
    wrong = copy.deepcopy(fixed)
    wrong["votes"]["1"] = 652  # an OCR misread of the hundreds digit: R4 breaks
    first = kpps_submits(ready, tps, submission(wrong))
    assert [a["rule"] for a in first.anomalies] == ["R4"]
    fix = {"form": fixed, "reason": "salah baca: 652 seharusnya 152"}
    corrected = kpps_corrects(ready, tps, fix, 1)
    assert corrected.version == 2 and corrected.anomalies == []
    ready.runner.catch_up()
    doc = ready.queries.tps_result(ELECTION, CONTEST, tps)
    assert doc["version"] == 2 and doc["form"]["votes"]["1"] == 152
    assert doc["submitted"]["form"]["votes"]["1"] == 652
    assert doc["corrections"][0]["reason"] == "salah baca: 652 seharusnya 152"
    assert doc["corrections"][0]["corrects_version"] == 1
    assert ready.queries.region(ELECTION, CONTEST, "91")["votes"]["1"] == 152
    assert ready.queries.region(ELECTION, CONTEST, "91")["anomalies"]["hard"] == 0


def test_a_correction_against_a_stale_version_is_refused(ready: Services) -> None:
    tps = TPS[0]
    form = tps_form(tps, {"1": 1, "2": 2, "3": 3})
    kpps_submits(ready, tps, submission(form))
    kpps_corrects(ready, tps, {"form": form, "reason": "a"}, 1)
    with pytest.raises(StaleVersion):
        kpps_corrects(ready, tps, {"form": form, "reason": "b"}, 1)


def test_a_form_that_cannot_be_a_c_hasil_is_refused_with_every_field(ready: Services) -> None:
    tps = TPS[0]
    form = tps_form(tps, {"1": 1, "2": 2, "3": 3})
    form["votes"]["4"] = 5
    form["valid"] = 1000
    del form["ballots"]
    head = ready.app.recorder.max_notification_id()
    with pytest.raises(InvalidInput) as caught:
        kpps_submits(ready, tps, submission(form))
    fields = {e.field for e in caught.value.errors}
    assert {"form.votes.4", "form.valid", "form.ballots"} <= fields
    assert ready.app.recorder.max_notification_id() == head


def test_writers_act_only_within_their_scope(ready: Services) -> None:
    form = tps_form(TPS[0], {"1": 1, "2": 2, "3": 3})
    with pytest.raises(Forbidden):
        submit(
            ready.results,
            kpps(TPS[1]),
            ELECTION,
            CONTEST,
            given_results.submission(TPS[0], submission(form)),
        )
    with pytest.raises(Forbidden):
        submit(
            ready.results,
            operator("9102"),
            ELECTION,
            CONTEST,
            given_results.submission(TPS[0], submission(form)),
        )
    assert submit(
        ready.results,
        operator("9101"),
        ELECTION,
        CONTEST,
        given_results.submission(TPS[0], submission(form)),
    ).created


def test_an_unknown_tps_or_contest_is_not_found(ready: Services) -> None:
    form = pilkada_form(200, {"1": 1, "2": 2, "3": 3})
    with pytest.raises(NotFound):
        submit(
            ready.results,
            kpps("9101011001009"),
            ELECTION,
            CONTEST,
            given_results.submission("9101011001009", submission(form)),
        )
    with pytest.raises(NotFound):
        submit(
            ready.results,
            kpps(TPS[0]),
            ELECTION,
            "nope",
            given_results.submission(TPS[0], submission(form)),
        )


def status(answer: BulkItem) -> int:
    """As the API answers an item."""
    if answer.error is not None:
        return status_of(answer.error)
    return 201 if answer.outcome is not None and answer.outcome.created else 200


def test_bulk_answers_item_by_item(ready: Services) -> None:
    good = [{"tps": t, **tps_body(t, {"1": 5, "2": 5, "3": 5})} for t in TPS[:4]]
    broken = {"tps": TPS[4], **submission({"votes": {}})}
    outside = {"tps": TPS[5], **tps_body(TPS[5], {"1": 1, "2": 1, "3": 1})}
    answers = submit_bulk(
        ready.results,
        operator("9101"),
        ELECTION,
        CONTEST,
        given_results.bulk_items([*good, broken, outside, good[0]]),
    )
    assert [status(a) for a in answers] == [201, 201, 201, 201, 422, 403, 200]
    again = submit_bulk(
        ready.results, operator("9101"), ELECTION, CONTEST, given_results.bulk_items(good)
    )
    assert [status(a) for a in again] == [200] * 4
    ready.runner.catch_up()
    assert ready.queries.region(ELECTION, CONTEST, "9101")["tps_reported"] == 4


def test_rebuilding_the_projections_gives_exactly_the_live_figures(ready: Services) -> None:
    for i, tps in enumerate(TPS):
        kpps_submits(ready, tps, tps_body(tps, {"1": 10 + i, "2": 20, "3": 30 - i}))
    fix = {"form": tps_form(TPS[0], {"1": 99, "2": 1, "3": 1}), "reason": "x"}
    kpps_corrects(ready, TPS[0], fix, 1)
    ready.runner.catch_up()
    codes = ["91", "9101", "9102", "910101", "910102", "9101011001"]
    live = [ready.queries.region(ELECTION, CONTEST, c) for c in codes]
    ready.runner.rebuild()
    assert [ready.queries.region(ELECTION, CONTEST, c) for c in codes] == live
