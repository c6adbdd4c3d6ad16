"""Prometheus metrics at /metrics.

Request counts and latencies are counted in each process. Under gunicorn they go through
prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set by api/gunicorn_conf.py
before the workers start), so any worker's /metrics answers for all of them. The state of the
store (events stored, each projection's position and lag, whether a runner is alive and whether
the projection is stuck on an event) is read from the database at scrape time, so it is the
same whichever worker answers and needs no cross-process bookkeeping.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from api.auth import public
from service.store.replicas import STREAMING

REQUESTS = Counter(
    "rekap_http_requests_total", "HTTP requests answered", ["method", "endpoint", "status"]
)
LATENCY = Histogram(
    "rekap_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

READ_SOURCES = Counter(
    "rekap_read_sessions_total",
    "Public reads, by the source they were answered from (primary, replica-1, ...)",
    ["source"],
)


class StoreCollector(Collector):
    """Gauges read from the store when scraped."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        runner = self.app.extensions["rekap"].runner
        try:
            head = runner.head()
            positions = runner.positions()
            states = runner.health()
        except Exception:
            yield gauge("rekap_store_up", "1 when the store answers", 0)
            return
        yield gauge("rekap_store_up", "1 when the store answers", 1)
        yield gauge("rekap_events_stored", "Log position of the newest event", head)
        position, lag, running, heartbeat, stuck, stuck_for = labelled(
            "name",
            ("rekap_projection_position", "Log position a projection has applied"),
            ("rekap_projection_lag_events", "Events a projection has yet to apply"),
            (
                "rekap_projection_running",
                "1 while a runner holds an unexpired lease on the projection",
            ),
            (
                "rekap_projection_heartbeat_age_seconds",
                "Seconds since the projection's runner last renewed its lease",
            ),
            (
                "rekap_projection_stuck",
                "1 while the projection cannot apply an event (see /readyz for which and why)",
            ),
            (
                "rekap_projection_stuck_seconds",
                "Seconds since the projection first failed on the event it is stuck at",
            ),
        )
        for name, at in positions.items():
            position.add_metric([name], at)
            lag.add_metric([name], max(head - at, 0))
            state = states[name]
            running.add_metric([name], 1 if state.running else 0)
            if state.heartbeat_age is not None:
                heartbeat.add_metric([name], state.heartbeat_age)
            stuck.add_metric([name], 1 if state.stuck else 0)
            error = state.error_document()
            stuck_for.add_metric([name], error["seconds"] if error else 0)
        yield from (position, lag, running, heartbeat, stuck, stuck_for)
        yield from replica_gauges(self.app.extensions["rekap"].reads.statuses())


def gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    """A gauge without labels, holding `value`."""
    family = GaugeMetricFamily(name, documentation)
    family.add_metric([], value)
    return family


def labelled(label: str, *gauges: tuple[str, str]) -> list[GaugeMetricFamily]:
    """Empty gauges, one per (name, documentation), each with the one `label`."""
    return [GaugeMetricFamily(name, doc, labels=[label]) for name, doc in gauges]


def replica_gauges(statuses: list[dict[str, Any]]) -> Iterator[GaugeMetricFamily]:
    """Each read replica as this process last saw it (every process looks for itself)."""
    if not statuses:
        return
    serving, events, seconds = labelled(
        "replica",
        ("rekap_replica_serving", "1 while the replica serves reads"),
        ("rekap_replica_lag_events", "Events the primary's read models are ahead of the replica's"),
        (
            "rekap_replica_lag_seconds",
            "Seconds since the primary's read models were where the replica's are",
        ),
    )
    for status in statuses:
        name = status["name"]
        serving.add_metric([name], 1 if status["state"] == STREAMING else 0)
        if status["lag"] is not None:
            events.add_metric([name], status["lag"])
        if status["seconds"] is not None:
            seconds.add_metric([name], status["seconds"])
    yield from (serving, events, seconds)


def init_metrics(app: Flask) -> None:
    """Count every request and serve /metrics."""

    @app.before_request
    def start_timer() -> None:
        g.metrics_started = time.perf_counter()

    # The labelled children, looked up once each: `labels()` takes a lock and builds a key.
    counters: dict[tuple[str, str, int], Any] = {}
    timers: dict[tuple[str, str], Any] = {}

    @app.after_request
    def count(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        started = g.get("metrics_started")
        method, status = request.method, response.status_code
        counter = counters.get((method, endpoint, status))
        if counter is None:
            counter = counters.setdefault(
                (method, endpoint, status), REQUESTS.labels(method, endpoint, str(status))
            )
        counter.inc()
        if started is not None:
            timer = timers.get((method, endpoint))
            if timer is None:
                timer = timers.setdefault((method, endpoint), LATENCY.labels(method, endpoint))
            timer.observe(time.perf_counter() - started)
        return response

    app.add_url_rule("/metrics", "metrics", metrics_view)
    sources: dict[str, Any] = {}

    def count_source(name: str) -> None:
        counter = sources.get(name)
        if counter is None:
            counter = sources.setdefault(name, READ_SOURCES.labels(name))
        counter.inc()

    app.extensions["rekap"].reads.on_choice = count_source


@public
def metrics_view() -> Any:
    """The Prometheus text format: this process's (or every worker's) requests, the store."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        requests_part = generate_latest(registry)
    else:
        requests_part = generate_latest(REGISTRY)
    store = CollectorRegistry()
    store.register(StoreCollector(current_app._get_current_object()))  # type: ignore[attr-defined]
    body = requests_part + generate_latest(store)
    return Response(
        body,
        mimetype=CONTENT_TYPE_LATEST.split(";")[0],
        headers={
            "Cache-Control": "no-store",
            "Content-Type": CONTENT_TYPE_LATEST,
        },
    )
