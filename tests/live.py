"""Helpers for tests that run the real processes: free ports, HTTP calls, polling, /proc."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask
from werkzeug.serving import make_server

from service.bootstrap import Services
from service.config import Settings

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def call(
    url: str, method: str = "GET", body: Any = None, token: str | None = None, timeout: float = 30
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Status, JSON body and headers; `timeout` bounds a hung server (an OSError then)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            return response.status, json.loads(raw or b"{}"), dict(response.headers)
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw or b"{}"), dict(error.headers)


def eventually(check: Callable[[], T], timeout: float = 30, what: str = "it") -> T:
    """Poll `check` until it returns something true (which is returned); fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = check()
        except OSError:
            found = None  # a server not listening yet
        if found:
            return found
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout:.0f} s"
        time.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> int | None:
    """SIGTERM, then SIGKILL after 30 s; the exit code of a graceful stop, else None."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
            return None
    return process.returncode


@contextmanager
def gunicorn_and_projections(
    command: list[str], env: dict[str, str]
) -> Iterator[tuple[str, subprocess.Popen[bytes], subprocess.Popen[bytes]]]:
    """gunicorn (`python -m` and `command`, bound at env's REKAP_BIND) and the projection
    process, both with `env`: the base URL once /readyz answers 200, and the two processes,
    which are stopped when the block ends."""
    gunicorn = subprocess.Popen([sys.executable, "-m", *command], cwd=ROOT, env=env)
    projections = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "projections", "run"], cwd=ROOT, env=env
    )
    base = f"http://{env['REKAP_BIND']}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if call(f"{base}/readyz")[0] == 200:
                    break
            except OSError:
                pass
            assert gunicorn.poll() is None, "gunicorn exited at start-up"
            assert time.monotonic() < deadline, "gunicorn did not get ready in 30 s"
            time.sleep(0.2)
        yield base, gunicorn, projections
    finally:
        stop(gunicorn)
        stop(projections)


def env_for(settings: Settings, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "REKAP_DATABASE_URL": settings.database.url,
        "REKAP_EVIDENCE_DIR": str(settings.evidence_dir),
        "REKAP_AUDIT_KEY": str(settings.audit_key),
        "REKAP_TOTP_KEY": str(settings.totp_key),
        "REKAP_POOL_SIZE": "4",
        "REKAP_LOG_LEVEL": "warning",
        **extra,
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


def children(pid: int) -> list[int]:
    """The live child processes of `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            found.append(int(entry.name))
    return found


def descendants(pid: int) -> list[int]:
    found = []
    for child in children(pid):
        found += [child, *descendants(child)]
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@contextmanager
def projections_running(services: Services) -> Iterator[None]:
    """The projection process's loop, in a thread of this process, until the block ends."""
    stop = threading.Event()
    runner = threading.Thread(target=services.runner.run_forever, args=(stop,))
    runner.start()
    try:
        eventually(lambda: services.runner.health()["recap"].running, what="the runner's start")
        yield
    finally:
        stop.set()
        runner.join(timeout=30)
    assert not runner.is_alive()


class LiveServer:
    """A Flask app on a free port of 127.0.0.1, served by werkzeug in a thread."""

    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def json(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return json.load(response)

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


@contextmanager
def served(app: Flask) -> Iterator[LiveServer]:
    """`app` served on a free port until the block ends."""
    server = LiveServer(app)
    try:
        yield server
    finally:
        server.close()
