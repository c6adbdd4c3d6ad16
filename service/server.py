"""`rekap serve`: gunicorn for the API, and the projections in a process of their own."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from typing import Any

from service.config import Settings

log = logging.getLogger("rekap.server")


def serve(settings: Settings, *, host: str, port: int, workers: int) -> int:
    """Run until interrupted; the projection process is stopped with the server."""
    from gunicorn.app.base import BaseApplication

    projector = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "projections", "run"], env=os.environ.copy()
    )

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
    try:
        Server().run()
    finally:
        projector.terminate()
        try:
            projector.wait(timeout=10)
        except subprocess.TimeoutExpired:
            projector.kill()
    return 0
