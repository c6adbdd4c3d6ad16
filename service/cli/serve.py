"""`rekap serve`: the API under gunicorn and the projections, each a process of its own, kept
alive by this one.

gunicorn is started by name on the API's WSGI entry point (`api.wsgi:application`, configured by
`api/gunicorn_conf.py`), so this process never imports the API: it only supervises. gunicorn
restarts its own workers; the projection supervisor (`rekap projections run`) is started again
whenever it dies, after 1 s, doubling up to 30 s while it keeps dying young. Both die with this
process (`--exit-with-parent`, REKAP_EXIT_WITH_PARENT). SIGTERM or SIGINT stops gunicorn
gracefully first (requests in flight finish), then the projections (SIGTERM, SIGKILL after 10 s).
When gunicorn stops by itself, the projections are stopped and its exit status is this one's.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from service.bootstrap import init_store
from service.cli.common import Command, store
from service.config import Settings
from service.lifetime import stop_on_signals

log = logging.getLogger("rekap.server")

FIRST_DELAY = 1.0
MAX_DELAY = 30.0
HEALTHY_AFTER = 60.0  # seconds a supervisor must live before its restarts count as new
STOP_GRACE = 10.0
GUNICORN_GRACE = 35.0  # gunicorn's own graceful_timeout (30 s) and a little more
WSGI_APP = "api.wsgi:application"
GUNICORN_CONFIG = "python:api.gunicorn_conf"


def add_commands(sub: Any, command: Command) -> None:
    p = command("serve", cmd_serve, "serve the API under gunicorn, with the projections")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: 2)")
    p.add_argument("--demo", action="store_true", help="load the demo election if there is none")


def cmd_serve(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    init_store(settings)
    if args.demo:
        from service.cli.setup import load_demo_once

        with store() as services:
            load_demo_once(services)
    return serve(settings, host=args.host, port=args.port, workers=args.workers or 2)


class ProjectionKeeper:
    """Keeps one `rekap projections run` alive until `stop`."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._keep, name="projection keeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _spawn(self) -> subprocess.Popen[bytes]:
        # A session of its own: a Ctrl-C on the terminal reaches gunicorn, and the projections
        # are stopped once, by this process, after it.
        return subprocess.Popen(
            [sys.executable, "-m", "service.cli", "projections", "run", "--exit-with-parent"],
            env=os.environ.copy(),
            start_new_session=True,
        )

    def _keep(self) -> None:
        delay = FIRST_DELAY
        while not self._stopping.is_set():
            with self._lock:
                if self._stopping.is_set():
                    return
                self.process = self._spawn()
            started = time.monotonic()
            while self.process.poll() is None and not self._stopping.wait(0.5):
                pass
            if self._stopping.is_set():
                return
            if time.monotonic() - started > HEALTHY_AFTER:
                delay = FIRST_DELAY
            log.error(
                "the projection process %s stopped (exit %s); starting it again in %.0f s",
                self.process.pid,
                self.process.returncode,
                delay,
            )
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, MAX_DELAY)

    def stop(self) -> None:
        with self._lock:
            self._stopping.set()
            process = self.process
        if process is not None:
            _stop(process, signal.SIGTERM, STOP_GRACE)


def _gunicorn(host: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "REKAP_EXIT_WITH_PARENT": str(os.getpid())}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            GUNICORN_CONFIG,
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            WSGI_APP,
        ],
        env=env,
    )


def _stop(process: subprocess.Popen[bytes], signum: int, grace: float) -> int | None:
    if process.poll() is None:
        process.send_signal(signum)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=grace)
    return process.returncode


def serve(settings: Settings, *, host: str, port: int, workers: int) -> int:
    """Run until interrupted or until gunicorn stops; everything started is stopped with it."""
    log.info(
        "serving %s on http://%s:%s with %s workers", settings.database.url, host, port, workers
    )
    stopping = threading.Event()
    stop_on_signals(stopping)
    keeper = ProjectionKeeper()
    keeper.start()
    api = _gunicorn(host, port, workers)
    try:
        while api.poll() is None and not stopping.wait(0.5):
            pass
        if api.poll() is not None:
            log.error("gunicorn stopped (exit %s): stopping the projections", api.returncode)
        code = _stop(api, signal.SIGTERM, GUNICORN_GRACE)
    finally:
        _stop(api, signal.SIGKILL, STOP_GRACE)
        keeper.stop()
    return 0 if stopping.is_set() else (code or 1)
