"""Photo progress against the store (SQLite and PostgreSQL): per region, the TPS whose current
result cites at least one evidence page, counted here and compared with the recap at every
tier; a correction adds or keeps the photo, a re-vote's new result has none; an older store gets
the counts from `rekap init`; any sequence of submissions and corrections counts as a model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.access import SYSTEM, Actor, Role
from service.audit.log import AuditLog
from service.audit.verify import verify
from service.bootstrap import Services
from service.input import load
from service.input import plenary as given_plenary
from service.input import results as given_results
from service.usecases import plenary as use
from service.usecases.bulk import submit_bulk
from tests.conftest import fresh_sqlite_services
from tests.factories import (
    CONTEST,
    ELECTION,
    TPS,
    kpps_corrects,
    kpps_submits,
    setup_election,
    tps_body,
    tps_form,
)
from tests.integration.test_disputes import certify
from tests.integration.test_plenary import official, votes

COURT = Actor(id="mk-ri", role=Role.COURT, name="Mahkamah Konstitusi")


def photo(i: int) -> bytes:
    return b"\xff\xd8\xff\xe0" + f"C.Hasil halaman {i}".encode() * 8


def page(services: Services, i: int) -> dict[str, Any]:
    return {"page": 1, "sha256": services.evidence.put(photo(i)).sha256}


@pytest.fixture
def photographed(services: Services) -> Iterator[tuple[Services, set[str]]]:
    """Results with and without pages, corrected and re-voted; the TPS that should count."""
    setup_election(services)
    cites = {TPS[0]: [page(services, 0)], TPS[2]: [page(services, 2)], TPS[4]: [page(services, 4)]}
    for i, tps in enumerate(TPS[:5]):
        kpps_submits(services, tps, tps_body(tps, votes(i), evidence=cites.get(tps, [])))
    item = {"tps": TPS[5], "submission_id": "b-5", "form": tps_form(TPS[5], votes(5))}
    item["evidence"] = [page(services, 5), {**page(services, 6), "page": 2}]
    submit_bulk(services.results, SYSTEM, ELECTION, CONTEST, given_results.bulk_items([item]))

    kpps_correct(services, TPS[1], 1, [page(services, 11)])  # adds the photo the first lacked
    kpps_correct(services, TPS[2], 1, [])  # a correction without a page keeps the photo
    # TPS[4]'s kecamatan certifies, a court orders a re-vote there: the new vote has no photo
    services.runner.catch_up()
    use.open_plenary(services.plenary, official("910102"), ELECTION, CONTEST, "910102")
    certify(services, "910102")
    order = {"kind": "re_vote", "ref": "MK 4/2025", "tps": [TPS[4]]}
    reopen = load(given_plenary.ReopenSchema, {"reason": "PSU", "order": order})
    use.reopen(services.plenary, COURT, ELECTION, CONTEST, "910102", reopen)
    form = tps_form(TPS[4], votes(4, 2))
    revote = load(given_plenary.RevoteSchema, {"tps": TPS[4], "form": form})
    use.record_revote(services.plenary, official("910102"), ELECTION, CONTEST, "910102", revote)
    services.runner.catch_up()
    yield services, {TPS[0], TPS[1], TPS[2], TPS[5]}


REGIONS = ["91", "9101", "9102", "910101", "910102", "910201", "9101011001", "9101021001"]


def test_photo_progress_at_every_tier_counts_the_tps_whose_current_result_cites_a_page(
    photographed: tuple[Services, set[str]],
) -> None:
    services, with_photo = photographed
    for code in REGIONS:
        recap = services.queries.region(ELECTION, CONTEST, code)
        counted = sum(1 for tps in with_photo if tps.startswith(code))
        assert recap["tps_with_evidence"] == counted, code
        assert recap["evidence_progress"] == round(100 * counted / recap["tps_total"], 2), code
        for child in recap["children"]:
            assert child["tps_with_evidence"] == sum(
                1 for tps in with_photo if tps.startswith(child["code"])
            ), child["code"]
    assert services.queries.region(ELECTION, CONTEST, "91")["tps_with_evidence"] == 4
    AuditLog.of(services).publish()
    report = verify(services)
    assert report.ok, [d.describe() for d in report.differences]


def test_an_older_store_gets_its_photo_progress_from_rekap_init_without_a_rebuild(
    photographed: tuple[Services, set[str]],
) -> None:
    services, _ = photographed
    before = {c: services.queries.region(ELECTION, CONTEST, c) for c in REGIONS}
    with services.db.transaction() as tx:  # the tables as a rekap before photo progress made them
        tx.execute("ALTER TABLE result_current DROP COLUMN has_evidence")
        tx.execute("ALTER TABLE recap_total DROP COLUMN tps_with_evidence")
    services.runner.create_tables()  # what `rekap init` does
    services.runner.create_tables()  # and again: nothing more
    assert {c: services.queries.region(ELECTION, CONTEST, c) for c in REGIONS} == before
    AuditLog.of(services).publish()
    report = verify(services)
    assert report.ok, [d.describe() for d in report.differences]


def kpps_correct(services: Services, tps: str, version: int, pages: list[dict[str, Any]]) -> None:
    body = {"form": tps_form(tps, votes(version)), "reason": "dibaca ulang", "evidence": pages}
    kpps_corrects(services, tps, body, version)


# Per TPS: None (no result), or the pages of its submission and of each correction after it.
HISTORY = st.one_of(
    st.none(),
    st.tuples(st.integers(0, 2), st.lists(st.integers(0, 1), max_size=3)),
)


@given(histories=st.lists(HISTORY, min_size=len(TPS), max_size=len(TPS)))
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_any_submissions_and_corrections_count_their_photos_as_a_model_does(
    histories: list[tuple[int, list[int]] | None],
) -> None:
    with fresh_sqlite_services() as services:
        setup_election(services)
        with_photo = set()
        for n, (tps, history) in enumerate(zip(TPS, histories, strict=True)):
            if history is None:
                continue
            first, corrections = history
            pages = [{**page(services, 10 * n + p), "page": p + 1} for p in range(first)]
            kpps_submits(services, tps, tps_body(tps, votes(n), evidence=pages))
            photographed = first > 0
            for version, added in enumerate(corrections, start=1):
                extra = [page(services, 100 + 10 * n + version)] if added else []
                kpps_correct(services, tps, version, extra)
                photographed = photographed or added > 0
            if photographed:
                with_photo.add(tps)
        services.runner.catch_up()
        for code in REGIONS:
            counted = sum(1 for tps in with_photo if tps.startswith(code))
            assert services.queries.region(ELECTION, CONTEST, code)["tps_with_evidence"] == (
                counted
            ), code
