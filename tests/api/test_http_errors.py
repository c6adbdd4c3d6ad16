"""Every error is application/problem+json; no route exists without an access rule."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import OperationalError
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from api.app import create_app
from api.auth import check_access_rules
from service.bootstrap import Services
from tests.api.conftest import Auth
from tests.api.test_results_api import BASE, problem, tps_url


def test_unknown_paths_and_methods_are_problems(client: FlaskClient) -> None:
    problem(client.get("/api/v1/nothing-here"), 404, "not_found")
    r = client.delete("/api/v1/elections")
    assert problem(r, 405, "method_not_allowed") and "POST" in r.headers["Allow"]


def test_malformed_and_non_json_bodies_are_400_and_415(
    client: FlaskClient, ready: Services, auth: Auth
) -> None:
    headers = auth("kpps", "9101011001001")
    url = tps_url("9101011001001", "/submissions")
    body = problem(
        client.post(url, data="{not json", headers={**headers, "Content-Type": "application/json"}),
        400,
        "malformed_request",
    )
    assert "not valid JSON" in body["detail"]
    problem(client.post(url, headers=headers), 400)
    problem(
        client.post(url, data="a=1", headers={**headers, "Content-Type": "text/plain"}),
        415,
        "unsupported_media_type",
    )
    problem(client.post(url, json=[1, 2], headers=headers), 422)
    problem(client.get(f"{BASE}/regions/91?wait_for=soon"), 422)


def test_a_body_over_the_limit_is_413(services: Services, auth: Auth) -> None:
    client = create_app(services, {"MAX_CONTENT_LENGTH": 1024}).test_client()
    r = client.post(
        "/api/v1/elections", json={"id": "e", "name": "x" * 2000}, headers=auth("admin")
    )
    problem(r, 413, "payload_too_large")


def elections_raising(
    services: Services, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> TestResponse:
    """The answer to GET /api/v1/elections while reading the elections raises `error`."""
    client = create_app(services).test_client()

    def failing(*args: object) -> None:
        raise error

    monkeypatch.setattr(services.queries, "elections", failing)
    return client.get("/api/v1/elections")


def test_an_unexpected_failure_is_a_500_problem_without_a_trace(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = elections_raising(services, monkeypatch, RuntimeError("secret internals"))
    body = problem(r, 500, "internal_error")
    assert "secret" not in r.get_data(as_text=True) and body["request_id"]


def test_a_store_that_does_not_answer_is_503_with_retry_after(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = elections_raising(services, monkeypatch, OperationalError("lock timeout"))
    problem(r, 503, "store_unavailable")
    assert r.headers["Retry-After"]


def test_a_weak_etag_from_a_cache_still_revalidates(client: FlaskClient, ready: Services) -> None:
    first = client.get("/api/v1/elections")
    weak = "W/" + first.headers["ETag"]
    assert client.get("/api/v1/elections", headers={"If-None-Match": weak}).status_code == 304


def test_the_app_refuses_to_start_with_a_route_without_an_access_rule(
    services: Services,
) -> None:
    app = create_app(services)
    app.add_url_rule("/api/v1/forgotten", "forgotten", lambda: "open to all?")
    with pytest.raises(RuntimeError, match="forgotten"):
        check_access_rules(app, public_prefixes=("api-docs.",))


def test_every_route_of_the_app_declares_its_access_rule(services: Services) -> None:
    app = create_app(services)
    check_access_rules(app, public_prefixes=("api-docs.",))  # what create_app did: no error
    rules = {r.rule for r in app.url_map.iter_rules()}
    assert {"/metrics", "/healthz", "/readyz", "/api/v1/openapi.json", "/api/v1/docs"} <= rules


def test_the_openapi_document_and_its_viewer_are_served(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    submit = spec["paths"]["/api/v1/elections/{eid}/contests/{cid}/tps/{tps}/submissions"]["post"]
    assert {"200", "201", "401", "403", "404", "409", "422"} <= set(submit["responses"])
    problem_type = spec["components"]["responses"]["CONFLICT"]["content"]
    assert list(problem_type) == ["application/problem+json"]
    assert "/api/v1/elections/{eid}/contests/{cid}/submissions:bulk" in spec["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_health_readiness_and_metrics(client: FlaskClient, ready: Services) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready_doc = client.get("/readyz").get_json()
    assert ready_doc["status"] == "ready" and ready_doc["projections"]["recap"]["lag"] == 0
    client.get("/api/v1/elections")
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and metrics.mimetype == "text/plain"
    text = metrics.get_data(as_text=True)
    assert (
        'rekap_http_requests_total{endpoint="/api/v1/elections",method="GET",status="200"}' in text
    )
    assert "rekap_http_request_duration_seconds_bucket" in text
    assert f"rekap_events_stored {float(ready.runner.head())}" in text
    assert 'rekap_projection_lag_events{name="recap"} 0.0' in text
