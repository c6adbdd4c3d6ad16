"""`rekap serve`: gunicorn for the API, and the projections in a process of their own.

The projection supervisor (`rekap projections run`) is started by a thread of this process and
started again whenever it dies, after 1 s, doubling up to 30 s while it keeps dying young. It
runs in a session of its own, so a Ctrl-C on the terminal reaches gunicorn alone and the
supervisor is stopped once, by this process, after gunicorn (SIGTERM, then SIGKILL after
10 s); and it stops by itself if this process dies (`--exit-with-parent`).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from typing import Any

from service.config import Settings

log = logging.getLogger("rekap.server")

FIRST_DELAY = 1.0
MAX_DELAY = 30.0
HEALTHY_AFTER = 60.0  # seconds a supervisor must live before its restarts count as new
STOP_GRACE = 10.0


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
            # gunicorn's arbiter reaps every child it is told of (SIGCHLD), ours too; poll()
            # still sees it gone (with exit status 0 then).
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
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_GRACE)


def serve(settings: Settings, *, host: str, port: int, workers: int) -> int:
    """Run until interrupted; the projection process is stopped with the server."""
    from gunicorn.app.base import BaseApplication

    keeper = ProjectionKeeper()

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            from api import gunicorn_conf

            for key in dir(gunicorn_conf):
                if key in self.cfg.settings and not key.startswith("_"):
                    self.cfg.set(key, getattr(gunicorn_conf, key))
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)

        def load(self) -> Any:
            from api.wsgi import application

            return application

    log.info(
        "serving %s on http://%s:%s with %s workers", settings.database.url, host, port, workers
    )
    keeper.start()
    try:
        Server().run()
    finally:
        keeper.stop()
    return 0
