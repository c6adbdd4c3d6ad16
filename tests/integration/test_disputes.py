"""After the top plenary, against the store (SQLite and PostgreSQL): the dispute window, disputes
and their rulings, the determination, their replay as of any moment and their history.

"Now" is the plenary context's clock, moved by the tests; the window opens at the top plenary's
certification, an event's time, so a test reads it from the store and sets the clock around it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from domain.access import Actor, Role
from domain.errors import Conflict, DomainError, InvalidInput
from service.audit.asof import region_as_of
from service.audit.history import region_history
from service.audit.log import AuditLog
from service.audit.verify import verify
from service.bootstrap import Services
from service.input import load
from service.input import plenary as given_plenary
from service.input.disputes import DeterminationSchema, DisputeSchema, RulingSchema
from service.usecases import disputes
from service.usecases import plenary as use
from tests.factories import (
    CONTEST,
    DPT,
    ELECTION,
    TPS,
    pilkada_form,
    setup_election,
)
from tests.integration.test_plenary import CODES, official, submit_all, votes

COURT = Actor(id="mk-ri", role=Role.COURT, name="Mahkamah Konstitusi")
TOP = official("91")
HOURS = 72  # the contest's window: the default
# The plenaries once a ruling orders a recount at kecamatan 910102: it and those above reopen.
RECOUNT_AT_910102 = {
    "910101": "certified",
    "910102": "reopened",
    "910201": "certified",
    "9101": "reopened",
    "9102": "certified",
    "91": "reopened",
}


@pytest.fixture
def certified(services: Services) -> Services:
    """The test election with every TPS in and every plenary certified, up to the province."""
    setup_election(services)
    submit_all(services)
    services.runner.catch_up()
    for code in CODES:
        use.open_plenary(services.plenary, official(code), ELECTION, CONTEST, code)
        certify(services, code)
    return services


def certify(services: Services, code: str) -> None:
    command = load(given_plenary.CertificationSchema, {"signed_by": ["Ketua"]})
    use.certify(services.plenary, official(code), ELECTION, CONTEST, code, command)


def file(services: Services, ref: str, detail: str = "selisih suara") -> str:
    command = load(DisputeSchema, {"ref": ref, "detail": detail})
    outcome, _ = disputes.file_dispute(services.plenary, COURT, ELECTION, CONTEST, command)
    return outcome.extra["dispute_id"]


def rule(services: Services, dispute_id: str, **ruling: Any) -> dict[str, Any]:
    command = load(RulingSchema, {"detail": "putusan", **ruling})
    return disputes.rule_on_dispute(
        services.plenary, COURT, ELECTION, CONTEST, dispute_id, command
    ).to_dict()


def determine(services: Services, at: datetime) -> dict[str, Any]:
    services.plenary.clock = lambda: at
    command = load(DeterminationSchema, {"signed_by": ["Ketua KPU Provinsi"]})
    return disputes.determine(services.plenary, TOP, ELECTION, CONTEST, command).to_dict()


def refusal(services: Services, at: datetime) -> list[str]:
    """The fields of every reason a determination at `at` is refused for."""
    with pytest.raises(Conflict) as refused:
        determine(services, at)
    return [e.field for e in refused.value.errors]


def certified_at(services: Services) -> datetime:
    """When the top plenary's current certificate was issued (the event's time)."""
    services.runner.catch_up()
    window = services.queries.disputes.document(contest(services))["window"]
    assert window is not None, "the top plenary is not certified"
    return datetime.fromisoformat(window["opens_at"])


def contest(services: Services) -> Any:
    return services.queries.contest(ELECTION, CONTEST)


def result(services: Services) -> str | None:
    services.runner.catch_up()
    return services.queries.region(ELECTION, CONTEST, "91")["result"]


def determination_of(services: Services) -> dict[str, Any]:
    services.runner.catch_up()
    return services.queries.disputes.determination(contest(services))


def statuses(services: Services) -> dict[str, str]:
    services.runner.catch_up()
    return {p["code"]: p["status"] for p in services.queries.plenaries.plenaries(contest(services))}


# -- the window and the determination ------------------------------------------------------------


def test_a_determination_is_refused_during_the_window_and_while_a_dispute_is_open_and_then_recorded(
    certified: Services,
) -> None:
    services = certified
    opened = certified_at(services)
    assert result(services) == "certified"
    assert refusal(services, opened + timedelta(hours=HOURS) - timedelta(seconds=1)) == [
        "dispute_window"
    ]

    dispute_id = file(services, "PHPU 12/PHP.GUB-XXIII/2025")
    assert result(services) == "disputed"
    after_window = opened + timedelta(hours=HOURS)
    assert refusal(services, after_window) == [f"disputes.{dispute_id}"]
    assert refusal(services, opened) == ["dispute_window", f"disputes.{dispute_id}"]

    ruled = rule(services, dispute_id, outcome="rejected")
    assert ruled["status"] == "ruled" and ruled["outcome"] == "rejected"
    assert statuses(services) == {code: "certified" for code in CODES}  # nothing reopened
    assert result(services) == "certified"

    done = determine(services, after_window)
    assert done["result"] == "determined" and done["certificate"] == 1
    assert result(services) == "determined"
    determination = determination_of(services)
    assert determination["certificate"]["number"] == 1
    assert determination["window"] == {
        "hours": HOURS,
        "opens_at": opened.isoformat(),
        "closes_at": after_window.isoformat(),
    }
    assert determination["disputes"] == [
        {"dispute_id": dispute_id, "ref": "PHPU 12/PHP.GUB-XXIII/2025", "outcome": "rejected"}
    ]
    verdict = determination["result"]["verdict"]
    top = services.queries.plenaries.certificate(contest(services), "91")
    assert verdict == top["verdict"] and determination["figures"] == top["figures"]["total"]
    assert determination["signed_by"] == ["Ketua KPU Provinsi"]

    # a determined result is final: determined once, disputed no more, reopened no more
    with pytest.raises(Conflict, match="determined"):
        determine(services, after_window)
    with pytest.raises(Conflict, match="determined"):
        file(services, "PHPU 13/2025")
    reopen = load(given_plenary.ReopenSchema, {"reason": "rekap ulang"})
    with pytest.raises(Conflict, match="determined"):
        use.reopen(services.plenary, official("9101"), ELECTION, CONTEST, "910101", reopen)


def test_a_window_of_zero_hours_lets_the_result_be_determined_at_once(
    services: Services,
) -> None:
    from tests.factories import GUBERNUR

    setup_election(services, {**GUBERNUR, "dispute_window_hours": 0})
    submit_all(services)
    services.runner.catch_up()
    for code in CODES:
        use.open_plenary(services.plenary, official(code), ELECTION, CONTEST, code)
        certify(services, code)
    assert contest(services).dispute_window_hours == 0
    assert determine(services, certified_at(services))["result"] == "determined"


def test_a_ruling_that_orders_a_recount_reopens_its_plenaries_and_the_window_starts_again(
    certified: Services,
) -> None:
    services = certified
    first = certified_at(services)
    dispute_id = file(services, "PHPU 7/2025")
    ruled = rule(services, dispute_id, outcome="re_count", plenaries=["910102"])
    assert ruled["reopened"] == ["910102", "9101", "91"]
    assert ruled["order"] == {"kind": "re_count", "ref": "PHPU 7/2025", "tps": []}
    assert statuses(services) == RECOUNT_AT_910102
    minutes = services.queries.plenaries.plenary(contest(services), "910102")["minutes"]
    assert minutes[-1]["kind"] == "reopened"
    assert minutes[-1]["order"] == ruled["order"]
    assert result(services) is None  # the top is no longer certified, no dispute is open
    assert refusal(services, first + timedelta(hours=HOURS)) == ["plenary"]

    # the re-count in the kecamatan, then every reopened tier certifies again
    tps = TPS[3]
    recount = {"tps": tps, "form": pilkada_form(DPT[tps], votes(3, 4)), "reason": "hitung ulang"}
    command = load(given_plenary.CorrectionBodySchema, recount)
    use.correct(services.plenary, official("910102"), ELECTION, CONTEST, "910102", command)
    for code in ("910102", "9101", "91"):
        certify(services, code)
    second = certified_at(services)
    assert second > first
    assert result(services) == "certified"

    # the window runs from the new certificate: past the first window's end, still closed
    between = first + timedelta(hours=HOURS) + (second - first) / 2
    assert refusal(services, between) == ["dispute_window"]
    done = determine(services, second + timedelta(hours=HOURS))
    assert done["certificate"] == 2
    assert done["window"]["opens_at"] == second.isoformat()
    determination = determination_of(services)
    assert determination["figures"]["votes"]["1"] == sum(
        votes(i, 4 if t == tps else 0)["1"] for i, t in enumerate(TPS)
    )


def test_a_ruling_for_a_revote_names_its_tps_and_reopens_only_the_plenaries_it_names(
    certified: Services,
) -> None:
    services = certified
    dispute_id = file(services, "PHPU 8/2025")
    with pytest.raises(InvalidInput) as wrong:
        rule(
            services,
            dispute_id,
            outcome="re_vote",
            plenaries=["910201", "9102", "910201", "9103"],
            tps=[TPS[0]],
        )
    assert [e.field for e in wrong.value.errors] == [
        "plenaries.1",  # above 910201: it reopens with it
        "plenaries.2",  # named twice
        "plenaries.3",  # no such region
        "tps.0",  # under none of them
    ]
    assert statuses(services) == {code: "certified" for code in CODES}  # nothing recorded
    ruled = rule(services, dispute_id, outcome="re_vote", plenaries=["910201"], tps=[TPS[5]])
    assert ruled["reopened"] == ["910201", "9102", "91"]
    form = pilkada_form(DPT[TPS[5]], {"1": 10, "2": 90, "3": 20})
    revote = load(given_plenary.RevoteSchema, {"tps": TPS[5], "form": form})
    use.record_revote(services.plenary, official("910201"), ELECTION, CONTEST, "910201", revote)
    with pytest.raises(Conflict, match="ruled on already"):
        rule(services, dispute_id, outcome="rejected")


def test_a_dispute_needs_a_certified_result_and_a_court_and_one_case_number_is_one_dispute(
    certified: Services,
) -> None:
    services = certified
    command = load(DisputeSchema, {"ref": "PHPU 1/2025", "detail": "selisih"})
    with pytest.raises(DomainError) as forbidden:
        disputes.file_dispute(services.plenary, TOP, ELECTION, CONTEST, command)
    assert forbidden.value.code == "forbidden"
    first = file(services, "PHPU 1/2025", "selisih")
    head = services.runner.head()
    assert file(services, "PHPU 1/2025", "selisih") == first  # a retry: nothing new
    assert services.runner.head() == head
    with pytest.raises(Conflict, match="another detail"):
        file(services, "PHPU 1/2025", "lain")
    second = file(services, "PHPU 2/2025")
    assert second != first
    rule(services, first, outcome="re_recap", plenaries=["9101"])
    assert result(services) == "disputed"  # the second still waits for its ruling
    with pytest.raises(Conflict, match="not certified"):
        file(services, "PHPU 3/2025")  # the top is reopened: nothing certified to dispute


def test_a_determination_that_read_no_dispute_records_nothing_if_one_was_filed_meanwhile(
    certified: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = certified
    after_window = certified_at(services) + timedelta(hours=HOURS)
    sync = disputes.sync_read_models

    def dispute_filed_meanwhile(ctx: use.PlenaryContext) -> None:
        sync(ctx)  # the determination has read the top plenary: now the Court files
        monkeypatch.setattr(disputes, "sync_read_models", sync)
        file(services, "PHPU 99/2025")

    monkeypatch.setattr(disputes, "sync_read_models", dispute_filed_meanwhile)
    with pytest.raises(Conflict, match="changed meanwhile"):
        determine(services, after_window)
    assert result(services) == "disputed"


def test_disputes_and_the_determination_replay_as_of_any_moment_and_show_in_the_history(
    certified: Services,
) -> None:
    services = certified
    opened = certified_at(services)
    before = services.runner.head()
    dispute_id = file(services, "PHPU 5/2025")
    disputed = services.runner.head()
    rule(services, dispute_id, outcome="rejected")
    determine(services, opened + timedelta(hours=HOURS))
    services.runner.catch_up()
    AuditLog.of(services).publish()

    as_of = {p: region_as_of(services, ELECTION, CONTEST, "91", p)["result"] for p in (before,)}
    as_of[disputed] = region_as_of(services, ELECTION, CONTEST, "91", disputed)["result"]
    now = region_as_of(services, ELECTION, CONTEST, "91", services.runner.head())
    assert as_of == {before: "certified", disputed: "disputed"}
    assert now == services.queries.region(ELECTION, CONTEST, "91")
    assert now["result"] == "determined"

    events = region_history(services, ELECTION, CONTEST, "91", after=before)["events"]
    assert [e["type"] for e in events] == [
        "Plenary.ResultStepNoted",
        "Dispute.Filed",
        "Dispute.Ruled",
        "Plenary.ResultStepNoted",
        "Determination.Recorded",
    ]
    report = verify(services)
    assert report.ok, [d.describe() for d in report.differences]
