"""gunicorn settings: workers build their application after the fork, never before."""

from __future__ import annotations

import os

preload_app = False  # an Application must never be shared across a fork
workers = int(os.environ.get("REKAP_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("REKAP_THREADS", "4"))
timeout = 60
graceful_timeout = 30
keepalive = 5
accesslog = None  # the app logs each request with its request id
loglevel = os.environ.get("REKAP_LOG_LEVEL", "info")
