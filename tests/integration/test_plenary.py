"""Plenary use cases against the store (SQLite and PostgreSQL): races settled by the aggregate
versions, and the property that any sequence of plenary commands leaves projections equal to a
fresh replay with no certified tier above an uncertified one."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from domain.access import SYSTEM, Actor, Role
from domain.errors import Conflict, DomainError
from domain.tps_result import TpsResult
from service.bootstrap import Services
from service.input import load
from service.input import plenary as given_plenary
from service.input import results as given_results
from service.read.projections.plenary import PlenaryProjection
from service.read.projections.recap import RecapProjection
from service.read.projections.runner import ProjectionRunner
from service.usecases import plenary as use
from service.usecases.bulk import submit_bulk
from service.usecases.plenary import certification
from service.usecases.results import correct as kpps_correct
from tests.conftest import fresh_sqlite_services
from tests.factories import CONTEST, DPT, ELECTION, TPS, kpps, pilkada_form, setup_election
from tests.live import projections_running

KECAMATAN = {"910101": TPS[:3], "910102": TPS[3:5], "910201": TPS[5:]}
CHILDREN = {"9101": ["910101", "910102"], "9102": ["910201"], "91": ["9101", "9102"]}
CODES = [*KECAMATAN, "9101", "9102", "91"]
ROLE = {6: Role.PPK, 4: Role.KPU_KABKOTA, 2: Role.KPU_PROVINSI}
SIGN = {"signed_by": ["Ketua"]}


def official(code: str) -> Actor:
    return Actor(id=f"official-{code}", role=ROLE[len(code)], scope=code)


def votes(i: int, shift: int = 0) -> dict[str, int]:
    return {"1": 40 + i + shift, "2": 30 + 2 * i - shift, "3": 20 + i}


def submit_all(services: Services) -> None:
    items = [
        {"tps": t, "submission_id": f"s-{t}", "form": pilkada_form(DPT[t], votes(i))}
        for i, t in enumerate(TPS)
    ]
    submit_bulk(services.results, SYSTEM, ELECTION, CONTEST, given_results.bulk_items(items))


@pytest.fixture
def ready(services: Services) -> Services:
    setup_election(services)
    submit_all(services)
    services.runner.catch_up()
    return services


def test_a_certification_that_read_the_figures_before_a_correction_records_nothing(
    ready: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx, ppk = ready.plenary, official("910101")
    use.open_plenary(ctx, ppk, ELECTION, CONTEST, "910101")
    sync = certification.sync_read_models

    def correction_meanwhile(c: use.PlenaryContext) -> None:
        monkeypatch.setattr(certification, "sync_read_models", sync)
        body = {"tps": TPS[0], "form": pilkada_form(DPT[TPS[0]], votes(0, 5)), "reason": "HSU"}
        use.correct(
            ctx, ppk, ELECTION, CONTEST, "910101", load(given_plenary.CorrectionBodySchema, body)
        )
        sync(c)

    monkeypatch.setattr(certification, "sync_read_models", correction_meanwhile)
    with pytest.raises(Conflict, match="changed meanwhile"):
        use.certify(
            ctx, ppk, ELECTION, CONTEST, "910101", load(given_plenary.CertificationSchema, SIGN)
        )
    ready.runner.catch_up()
    plenary = ready.queries.plenaries.plenary(ready.queries.contest(ELECTION, CONTEST), "910101")
    assert plenary["status"] == "open" and plenary["certificates"] == []
    done = use.certify(
        ctx, ppk, ELECTION, CONTEST, "910101", load(given_plenary.CertificationSchema, SIGN)
    )
    ready.runner.catch_up()
    certificate = ready.queries.plenaries.certificate(
        ready.queries.contest(ELECTION, CONTEST), "910101"
    )
    assert done.extra["certificate"] == 1
    assert certificate["figures"]["tps"][0]["votes"] == votes(0, 5)


def test_a_parent_cannot_certify_on_a_child_reopened_meanwhile(
    ready: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = ready.plenary
    for code in ("910101", "910102"):
        use.open_plenary(ctx, official(code), ELECTION, CONTEST, code)
        use.certify(
            ctx,
            official(code),
            ELECTION,
            CONTEST,
            code,
            load(given_plenary.CertificationSchema, SIGN),
        )
    use.open_plenary(ctx, official("9101"), ELECTION, CONTEST, "9101")
    read_children = certification.child_plenaries

    def child_reopened_after_the_read(c: use.PlenaryContext, t: use.Target) -> Any:
        monkeypatch.setattr(certification, "child_plenaries", read_children)
        found = read_children(c, t)
        use.reopen(
            ctx,
            official("910102"),
            ELECTION,
            CONTEST,
            "910102",
            load(given_plenary.ReopenSchema, {"reason": "salah"}),
        )
        return found

    monkeypatch.setattr(certification, "child_plenaries", child_reopened_after_the_read)
    with pytest.raises(Conflict, match="changed meanwhile"):
        use.certify(
            ctx,
            official("9101"),
            ELECTION,
            CONTEST,
            "9101",
            load(given_plenary.CertificationSchema, SIGN),
        )
    ready.runner.catch_up()
    assert certified_codes(ready) == {"910101"}


def test_a_certification_waits_for_the_running_projection_process_to_read_its_figures(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup_election(services)
    recap = services.runner.projections[0]
    apply = recap.apply

    def slowly(tx: Any, events: Any) -> None:  # the process is still at it when asked
        time.sleep(0.2)
        apply(tx, events)

    monkeypatch.setattr(recap, "apply", slowly)
    ctx, ppk = services.plenary, official("910101")
    with projections_running(services):
        submit_all(services)
        use.open_plenary(ctx, ppk, ELECTION, CONTEST, "910101")
        done = use.certify(
            ctx, ppk, ELECTION, CONTEST, "910101", load(given_plenary.CertificationSchema, SIGN)
        )
    assert done.status == "certified"
    services.runner.catch_up()  # no process runs now: applied here
    contest = services.queries.contest(ELECTION, CONTEST)
    certificate = services.queries.plenaries.certificate(contest, "910101")
    assert [t["votes"] for t in certificate["figures"]["tps"]] == [votes(i) for i in range(3)]


def certified_codes(services: Services) -> set[str]:
    rows = services.db.query("SELECT code FROM plenary WHERE status = 'certified'")
    return {r["code"] for r in rows}


# -- the property -----------------------------------------------------------------------------

COMMAND = st.one_of(
    st.tuples(st.just("open"), st.sampled_from(CODES)),
    st.tuples(st.just("certify"), st.sampled_from(CODES)),
    st.tuples(st.just("reopen"), st.sampled_from(CODES), st.booleans()),
    st.tuples(st.just("correct"), st.sampled_from(CODES), st.integers(0, 5), st.integers(-3, 3)),
    st.tuples(st.just("object"), st.sampled_from(CODES)),
    st.tuples(st.just("resolve"), st.sampled_from(CODES), st.booleans()),
    st.tuples(st.just("kpps"), st.integers(0, 5)),
)


def run(services: Services, command: tuple[Any, ...]) -> None:
    ctx, kind, code = services.plenary, command[0], command[1]
    eid, cid = ELECTION, CONTEST
    if kind == "open":
        use.open_plenary(ctx, official(code), eid, cid, code)
    elif kind == "certify":
        use.certify(
            ctx, official(code), eid, cid, code, load(given_plenary.CertificationSchema, SIGN)
        )
    elif kind == "reopen":
        by = Actor("court", Role.COURT) if command[2] else official(code)
        order = {"kind": "re_recap", "ref": "MK 1/2025"} if command[2] else None
        use.reopen(
            ctx,
            by,
            eid,
            cid,
            code,
            load(given_plenary.ReopenSchema, {"reason": "rekap ulang", "order": order}),
        )
    elif kind == "correct":
        tps = TPS[command[2]]
        form = pilkada_form(DPT[tps], votes(command[2], command[3]))
        use.correct(
            ctx,
            official(code),
            eid,
            cid,
            code,
            load(given_plenary.CorrectionBodySchema, {"tps": tps, "form": form, "reason": "x"}),
        )
    elif kind == "object":
        saksi = Actor("saksi", Role.SAKSI, "91", CONTEST, 1)
        body = {"subject": "procedure", "detail": "keberatan"}
        use.raise_objection(ctx, saksi, eid, cid, code, load(given_plenary.ObjectionSchema, body))
    elif kind == "resolve":
        services.runner.catch_up()
        document = services.queries.plenaries.plenary(services.queries.contest(eid, cid), code)
        for objection in document["open_objections"][:1]:
            body = {"accepted": command[2], "note": "diputuskan"}
            use.resolve_objection(
                ctx,
                official(code),
                eid,
                cid,
                code,
                given_plenary.resolution(
                    objection["id"], load(given_plenary.ResolutionSchema, body)
                ),
            )
    else:
        tps = TPS[code]
        body = {"form": pilkada_form(DPT[tps], votes(code, 1)), "reason": "salah tulis"}
        version = services.app.repository.get(TpsResult.create_id(eid, cid, tps)).version
        kpps_correct(
            services.results, kpps(tps), eid, cid, given_results.correction(tps, body, version)
        )


def table_rows(services: Services, tables: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    found = {}
    for table in tables:
        rows = services.db.query(f"SELECT * FROM {table}")
        found[table.removeprefix("s_")] = sorted(tuple(str(v) for v in r.values()) for r in rows)
    return found


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(certified_first=st.integers(0, len(CODES)), commands=st.lists(COMMAND, max_size=20))
def test_any_sequence_of_plenary_commands_leaves_projections_equal_to_a_replay(
    certified_first: int, commands: list[tuple[Any, ...]]
) -> None:
    with fresh_sqlite_services() as services:
        setup_election(services)
        submit_all(services)
        # Bottom-up certifications first, so the random commands meet every state.
        prefix = [(kind, code) for code in CODES[:certified_first] for kind in ("open", "certify")]
        for command in prefix + commands:
            with contextlib.suppress(DomainError):
                run(services, command)
        services.runner.catch_up()

        projections = [RecapProjection(), PlenaryProjection()]
        scratch = [RecapProjection("s_"), PlenaryProjection("s_")]
        replay = ProjectionRunner(
            services.app, services.db, scratch, positions_table="s_projection_position"
        )
        replay.rebuild()
        live_tables = [t for p in projections for t in p.table_names()]
        scratch_tables = [t for p in scratch for t in p.table_names()]
        assert table_rows(services, live_tables) == table_rows(services, scratch_tables)

        certified = certified_codes(services)
        event(f"{len(certified)} plenaries certified")
        for code in certified:
            assert set(CHILDREN.get(code, [])) <= certified, (code, certified)
