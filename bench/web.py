"""Single submissions over HTTP with many concurrent clients: rekap against its two baselines.

Each server runs under gunicorn with api/gunicorn_conf.py (the same workers and threads for all
three) on 127.0.0.1; the load comes from client processes of keep-alive http.client threads,
bounded in time. The client shares the 2 cores with the servers and PostgreSQL, as a real load
balancer would not: absolute rates are low, the ratios are what compare.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from bench import apps, data
from bench.env import ROOT, bench_url, children_of, conninfo, peak_rss_of
from bench.readside import percentiles
from service.bootstrap import Services

Item = tuple[str, bytes, str]  # path, body, token
Request = tuple[str, str, bytes | None, dict[str, str]]  # method, path, body, headers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn(app: str, env: dict[str, str], workers: int, threads: int) -> Iterator[dict[str, Any]]:
    port = free_port()
    full_env = {
        **os.environ,
        **env,
        "REKAP_WORKERS": str(workers),
        "REKAP_THREADS": str(threads),
        "REKAP_LOG_LEVEL": "warning",
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:api.gunicorn_conf",
            "--bind",
            f"127.0.0.1:{port}",
            app,
        ],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    info: dict[str, Any] = {"port": port, "pid": proc.pid}
    try:
        _wait_until_up(port, proc)
        yield info
    finally:
        info["peak_rss_mb"] = {
            "master": peak_rss_of(proc.pid),
            "workers": [peak_rss_of(p) for p in children_of(proc.pid)],
        }
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_until_up(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"gunicorn exited: {err[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                time.sleep(1.0)  # the workers import the app after the master listens
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not come up")


def _client(port: int, items: list[Item], seconds: float, threads: int, out: Any) -> None:
    """One client process: threads post their share of the items until time is up."""

    def requests(n: int) -> Iterator[Request]:
        for path, body, token in items[n::threads]:
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
            yield "POST", path, body, headers

    client_process(port, seconds, threads, out, requests)


def client_process(
    port: int,
    seconds: float,
    threads: int,
    out: Any,
    requests: Callable[[int], Iterable[Request]],
) -> None:
    """One client process: `threads` keep-alive threads, thread n sending `requests(n)` until
    they end or time is up; puts the latencies, the counts by status and the errors on `out`."""
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0

    def run(n: int) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        counts: dict[int, int] = {}
        for method, path, body, headers in requests(n):
            if time.monotonic() >= deadline:
                break
            start = time.perf_counter()
            try:
                conn.request(method, path, body, headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                with lock:
                    errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append(time.perf_counter() - start)
            counts[response.status] = counts.get(response.status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for status, k in counts.items():
                statuses[status] = statuses.get(status, 0) + k

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out.put(
        {
            "latencies": latencies,
            "statuses": statuses,
            "errors": errors,
            "cpu_seconds": time.process_time(),
        }
    )


def load(
    port: int, items: list[Item], seconds: float, processes: int = 2, threads: int = 16
) -> dict[str, Any]:
    shares = [(port, items[i::processes], seconds, threads) for i in range(processes)]
    results, elapsed = fan_out(_client, shares)
    latencies, statuses = pooled(results)
    done = len(latencies)
    return {
        "requests": done,
        "seconds": round(elapsed, 2),
        "per_second": round(done / elapsed, 1),
        "latency": percentiles(latencies) if latencies else {},
        "statuses": statuses,
        "errors": sum(r["errors"] for r in results),
        "clients": processes * threads,
    }


def fan_out(
    client: Callable[..., None], shares: list[tuple[Any, ...]]
) -> tuple[list[dict[str, Any]], float]:
    """Run `client(*share, out)` in a forked process per share: what each put on `out`, and the
    seconds they took together."""
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    start = time.perf_counter()
    procs = [ctx.Process(target=client, args=(*share, out)) for share in shares]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    return results, time.perf_counter() - start


def pooled(results: list[dict[str, Any]]) -> tuple[list[float], dict[str, int]]:
    """The client processes' latencies together, and their counts by status."""
    latencies = [x for r in results for x in r["latencies"]]
    statuses: dict[str, int] = {}
    for r in results:
        for k, v in r["statuses"].items():
            statuses[str(k)] = statuses.get(str(k), 0) + v
    return latencies, statuses


def items_for(
    services: Services, provinces: Any, contest_id: str, seed: int, limit: int
) -> list[Item]:
    """One submission per TPS, with an operator token of its kab/kota."""
    tokens: dict[str, str] = {}
    items: list[Item] = []
    for f in data.forms(provinces, contest_id, seed):
        kab = f.tps[:4]
        if kab not in tokens:
            tokens[kab], _ = services.tokens.create("operator", kab, name=f"bench {kab}")
        path = f"/api/v1/elections/{data.ELECTION_ID}/contests/{contest_id}/tps/{f.tps}/submissions"
        items.append((path, json.dumps(f.body(contest_id, seed)).encode(), tokens[kab]))
        if len(items) >= limit:
            break
    return items


class LagSampler:
    """How long after a write the projections include it: sampled while the load runs."""

    def __init__(self, services: Services, every: float = 0.1) -> None:
        self.services = services
        self.every = every
        self.stop = threading.Event()
        self.lags: list[float] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        pending: list[tuple[float, int]] = []
        runner = self.services.runner
        while not self.stop.is_set() or pending:
            now = time.perf_counter()
            if not self.stop.is_set():
                pending.append((now, runner.head()))
            position = runner.position()
            still = []
            for at, head in pending:
                if head <= position:
                    self.lags.append(now - at)
                else:
                    still.append((at, head))
            pending = still
            if self.stop.is_set() and pending and now - pending[0][0] > 60:
                self.lags.extend(now - at for at, _ in pending)  # gave up: report as is
                break
            time.sleep(self.every)

    def __enter__(self) -> LagSampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=120)

    def summary(self) -> dict[str, Any]:
        if not self.lags:
            return {}
        found = percentiles(self.lags)
        found["max_ms"] = round(max(self.lags) * 1000, 1)
        return found


def single_submissions(
    services: Services,
    provinces: Any,
    contest_id: str,
    seed: int,
    seconds: float,
    workers: int = 2,
    threads: int = 8,
) -> dict[str, Any]:
    """rekap, the minimal Flask ceiling and plain Flask + psycopg, same load, same settings."""
    items = items_for(services, provinces, contest_id, seed, limit=200_000)
    found: dict[str, Any] = {"items_available": len(items), "workers": workers, "threads": threads}
    with gunicorn("bench.apps:minimal", {}, workers, threads) as server:
        found["minimal_flask"] = load(server["port"], items, seconds)
    found["minimal_flask"]["peak_rss_mb"] = server["peak_rss_mb"]
    with psycopg.connect(conninfo(), autocommit=True) as conn:
        conn.execute(apps.PLAIN_SCHEMA)
    with gunicorn("bench.apps:plain", {"BENCH_PLAIN_DSN": conninfo()}, workers, threads) as server:
        found["plain_flask_psycopg"] = load(server["port"], items, seconds)
    found["plain_flask_psycopg"]["peak_rss_mb"] = server["peak_rss_mb"]
    env = {"REKAP_DATABASE_URL": bench_url(), "REKAP_POOL_SIZE": str(threads)}
    projector = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "projections", "run"],
        cwd=ROOT,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        services.runner.wait_for(services.runner.head(), timeout=600)
        groups_before = _log_head(services)
        with (
            gunicorn("api.wsgi:application", env, workers, threads) as server,
            LagSampler(services) as lag,
        ):
            found["rekap"] = load(server["port"], items, seconds)
        found["rekap"]["peak_rss_mb"] = server["peak_rss_mb"]
        found["rekap"]["events_written"] = _log_head(services) - groups_before
        found["rekap"]["projection_lag"] = lag.summary()
        found["projection_process_peak_rss_mb"] = peak_rss_of(projector.pid)
    finally:
        projector.send_signal(signal.SIGTERM)
        try:
            projector.wait(timeout=30)
        except subprocess.TimeoutExpired:
            projector.kill()
    ceiling = found["minimal_flask"]["per_second"]
    plain = found["plain_flask_psycopg"]["per_second"]
    rekap = found["rekap"]["per_second"]
    found["ratios"] = {
        "rekap_vs_minimal_flask": round(rekap / ceiling, 3) if ceiling else None,
        "rekap_vs_plain_flask_psycopg": round(rekap / plain, 3) if plain else None,
    }
    return found


def _log_head(services: Services) -> int:
    return services.app.recorder.max_notification_id() or 0
