"""gunicorn settings: workers build their application after the fork, never before.

Workers never create tables (`rekap init` does, once). On SIGTERM gunicorn stops accepting,
lets requests in flight finish for up to `graceful_timeout` seconds, then exits.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from typing import Any

bind = os.environ.get("REKAP_BIND", "127.0.0.1:8000")
preload_app = False  # an Application must never be shared across a fork
workers = int(os.environ.get("REKAP_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("REKAP_THREADS", "4"))
timeout = 60
graceful_timeout = 30
keepalive = 5
accesslog = None  # the app logs each request with its request id
loglevel = os.environ.get("REKAP_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("REKAP_FORWARDED_ALLOW_IPS", "127.0.0.1")

# gunicorn 25+ opens a control socket for `gunicornc`, by default one path per user
# (~/.gunicorn/gunicorn.ctl): a second instance run by the same user took over the first's.
# None unless asked for, at a path of this instance's own (older gunicorns ignore both names).
control_socket_disable = not os.environ.get("REKAP_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["REKAP_CONTROL_SOCKET"]

# Prometheus multiprocess mode: every worker writes its counters to files in this directory, so
# any worker's /metrics answers for all of them. Set before the workers import prometheus_client.
_own_metrics_dir = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="rekap-metrics-")


def on_starting(server: Any) -> None:
    parent = os.environ.get("REKAP_EXIT_WITH_PARENT")
    if parent:  # started by `rekap serve`: stop gracefully when it dies
        from service.lifetime import die_with_parent

        die_with_parent(int(parent), signal.SIGTERM)
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):  # counts of an earlier run are not this run's
        os.unlink(os.path.join(directory, name))


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
