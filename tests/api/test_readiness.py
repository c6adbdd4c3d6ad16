"""/readyz, /metrics and `rekap projections status` tell whether the read models keep up."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from service.bootstrap import Services
from service.cli.main import main
from tests.factories import TPS, poison_event, submit_votes
from tests.live import eventually, projections_running


def test_readyz_metrics_and_status_name_a_stuck_projection_and_why(
    client: FlaskClient,
    ready: Services,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    position, aggregate = poison_event(ready)
    with projections_running(ready):
        eventually(lambda: ready.runner.health()["recap"].stuck, what="the failure record")
        answer = client.get("/readyz")
        assert answer.status_code == 503 and answer.mimetype == "application/problem+json"
        assert answer.headers["Cache-Control"] == "no-store" and answer.headers["Retry-After"]
        problem = answer.get_json()
        assert problem["code"] == "not_ready"
        assert f"projection recap is stuck at log position {position}" in problem["detail"]
        assert f"aggregate {aggregate}, topic rekap:TpsResult.Submitted" in problem["detail"]
        assert "MapperDeserialisationError" in problem["detail"]
        recap = problem["projections"]["recap"]
        assert recap["running"] is True and recap["lag"] >= 1
        assert recap["error"]["position"] == position and recap["error"]["aggregate"] == aggregate
        assert recap["error"]["topic"] == "rekap:TpsResult.Submitted"
        assert recap["error"]["since"] and recap["error"]["attempts"] >= 1

        text = client.get("/metrics").get_data(as_text=True)
        assert 'rekap_projection_stuck{name="recap"} 1.0' in text
        assert 'rekap_projection_running{name="recap"} 1.0' in text
        assert 'rekap_projection_stuck_seconds{name="recap"}' in text

        monkeypatch.setenv("REKAP_DATABASE_URL", ready.settings.database.url)
        assert main(["projections", "status"]) == 0
        status = json.loads(capsys.readouterr().out)
        assert status["ready"] is False and "projection recap is stuck" in status["problems"][0]
        assert status["health"]["recap"]["error"]["position"] == position


def test_readyz_is_not_ready_while_the_log_moves_on_and_no_runner_is_alive(
    client: FlaskClient, ready: Services
) -> None:
    assert client.get("/readyz").status_code == 200  # caught up: nothing needs a runner
    submit_votes(ready, TPS[0], {"1": 10, "2": 20, "3": 30})
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.get_json()["code"] == "not_ready"
    assert "no runner has ever renewed its lease" in answer.get_json()["detail"]

    with projections_running(ready):
        eventually(lambda: client.get("/readyz").status_code == 200, what="readiness")
        assert client.get("/readyz").get_json()["projections"]["recap"]["running"] is True
        text = client.get("/metrics").get_data(as_text=True)
        assert 'rekap_projection_running{name="recap"} 1.0' in text
        assert 'rekap_projection_stuck{name="recap"} 0.0' in text

    submit_votes(ready, TPS[1], {"1": 1, "2": 2, "3": 3})
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert "stopped renewing its lease" in answer.get_json()["detail"]
    assert answer.get_json()["projections"]["recap"]["running"] is False
