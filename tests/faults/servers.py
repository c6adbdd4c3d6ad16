"""The real processes the fault suite hurts: a store of their own, gunicorn and the projections
(or the embedded `rekap serve`), their pids, and the faults themselves.

Every process is started in a session of its own, so its process group holds everything it
spawns (gunicorn's workers, the projection children, even children orphaned by a killed
supervisor): `stop` ends each group by its id, whatever a test left behind.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg

from service.bootstrap import init_store
from service.config import Settings, parse_database_url
from tests.conftest import POSTGRES_URL, require_postgres
from tests.live import children, command_line, descendants, free_port

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60.0
RUNNING = "running from"  # what a projection runner logs once it tails the log
STOP_TIMEOUT = 10.0
HEARTBEAT = 3  # seconds a projection runner's heartbeat holds: /readyz sees a dead one soon


@dataclass
class Answer:
    """One HTTP exchange: the status (0 when no answer came), the headers and the body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str = ""

    @property
    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @property
    def media_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip()


def call(
    url: str,
    method: str = "GET",
    body: Any = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    data: bytes | None = None,
    timeout: float = 30.0,
) -> Answer:
    """A request as a client sends it, bytes as given (http.client adds no header of its own
    but Host and Content-Length); a lost connection is an Answer with status 0.

    `body` is sent as JSON; `data` as it is, with the Content-Type of `headers` if any.
    """
    if body is not None:
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", **(headers or {})}
    sent = dict(headers or {})
    if token:
        sent["Authorization"] = f"Bearer {token}"
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        # A server may answer (413) before it has read the whole body: read that answer.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.request(method, target, body=data, headers=sent)
        response = connection.getresponse()
        return Answer(response.status, dict(response.getheaders()), response.read())
    except (OSError, http.client.HTTPException) as error:  # reset, refused, timed out
        return Answer(0, error=f"{error.__class__.__name__}: {error}")
    finally:
        connection.close()


# -- stores -----------------------------------------------------------------------------------


@dataclass
class Store:
    """A fresh store: on PostgreSQL a database of its own, so that terminating every backend of
    that database hurts this test's processes and nobody else's."""

    backend: str
    settings: Settings
    env: dict[str, str]
    database: str | None = None

    def drop(self) -> None:
        """Drop the database in the background (it takes seconds on a busy machine); the
        interpreter waits for the thread before it exits."""
        if self.database:
            threading.Thread(target=_drop_database, args=(self.database,)).start()


def _drop_database(name: str) -> None:
    with _admin() as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _admin() -> psycopg.Connection[Any]:
    return psycopg.connect(POSTGRES_URL.split("?")[0], autocommit=True, connect_timeout=5)


def new_store(backend: str, directory: Path) -> Store:
    env = {
        "REKAP_EVIDENCE_DIR": str(directory / "evidence"),
        "REKAP_AUDIT_KEY": str(directory / "audit-key.pem"),
        "REKAP_POOL_SIZE": "4",
    }
    database = None
    if backend == "sqlite":
        env["REKAP_DATABASE_URL"] = f"sqlite:///{directory / 'rekap.db'}"
    else:
        require_postgres()
        database = f"rekap_fault_{uuid.uuid4().hex[:10]}"
        with _admin() as admin:
            admin.execute(f"CREATE DATABASE {database}")
        server = parse_database_url(POSTGRES_URL.split("?")[0])
        credentials = server.user + (f":{server.password}" if server.password else "")
        env["REKAP_DATABASE_URL"] = (
            f"postgresql://{credentials}@{server.host}:{server.port}/{database}"
        )
    store = Store(backend, Settings.from_env(env), env, database)
    try:
        init_store(store.settings)
    except BaseException:
        store.drop()
        raise
    return store


def terminate_backends(store: Store) -> int:
    """The outage of issue 10: every backend of the store's database is terminated at once."""
    assert store.database
    with _admin() as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (store.database,),
        ).fetchall()
    return len(rows)


# -- processes --------------------------------------------------------------------------------


def children_oldest_first(pid: int) -> list[int]:
    """The live child processes of `pid`, in the order they were started."""
    return sorted(children(pid), key=lambda child: int((_stat(child) or [0] * 20)[19]))


def _stat(pid: int) -> list[str] | None:
    """Fields 3.. of /proc/<pid>/stat (state, ppid, ...), or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw.rsplit(")", 1)[1].split()


def group_of(pid: int) -> int | None:
    stat = _stat(pid)
    return int(stat[2]) if stat else None


def group_members(pgid: int) -> list[int]:
    """Live processes of a process group (field 5 of /proc/<pid>/stat)."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat and int(stat[2]) == pgid and stat[0] != "Z":
                members.append(int(entry))
    return members


class LiveServer:
    """rekap over HTTP on a free port: on PostgreSQL gunicorn (api/gunicorn_conf.py) beside
    `rekap projections run`, as in production; on SQLite the embedded `rekap serve`."""

    def __init__(self, store: Store, directory: Path, *, workers: int = 2) -> None:
        self.store = store
        self.directory = directory
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            **store.env,
            "REKAP_WORKERS": str(workers),
            "REKAP_THREADS": "4",
            "REKAP_BIND": f"127.0.0.1:{self.port}",
            "REKAP_LOG_LEVEL": "warning",
            "PROMETHEUS_MULTIPROC_DIR": str(directory / "metrics"),
            "REKAP_PROJECTION_LEASE": str(HEARTBEAT),
        }
        self.workers = workers
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.groups: set[int] = set()

    # starting and stopping

    def start(self) -> LiveServer:
        if self.store.backend == "sqlite":
            self.spawn(
                "serve",
                "-m",
                "service.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
            )
        else:
            self.spawn(
                "gunicorn",
                "-m",
                "gunicorn",
                "-c",
                "python:api.gunicorn_conf",
                "api.wsgi:application",
            )
            self.start_projections()
        self.wait_ready()
        return self

    def start_projections(self) -> subprocess.Popen[bytes]:
        """`rekap projections run`, once each of its runners has started tailing the log (a
        runner killed before that proves less: it never waited on anything)."""
        runners = 1 if self.store.backend == "sqlite" else 2
        before = self.log_text("projections").count(RUNNING)
        process = self.spawn("projections", "-m", "service.cli", "projections", "run")
        deadline = time.monotonic() + READY_TIMEOUT
        while self.log_text("projections").count(RUNNING) < before + runners:
            assert process.poll() is None, f"projections exited at start-up:\n{self.logs()}"
            assert time.monotonic() < deadline, f"projections did not start:\n{self.logs()}"
            time.sleep(0.1)
        return process

    def spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.directory / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.processes[name] = process
        self.groups.add(process.pid)
        return process

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while call(f"{self.base}/readyz", timeout=5).status != 200:
            for name, process in self.processes.items():
                assert process.poll() is None, f"{name} exited at start-up:\n{self.logs()}"
            assert time.monotonic() < deadline, f"not ready in {READY_TIMEOUT} s:\n{self.logs()}"
            time.sleep(0.2)
        while len(self.worker_pids()) < self.workers:
            assert time.monotonic() < deadline, (
                f"gunicorn did not start its workers:\n{self.logs()}"
            )
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM each process, then SIGKILL whatever is left of its process group, and of
        the groups its descendants started (rekap serve runs its projections in a session of
        their own)."""
        for process in self.processes.values():
            for pid in descendants(process.pid):
                if (group := group_of(pid)) is not None:
                    self.groups.add(group)
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        for group in self.groups:
            if group_members(group):
                os.killpg(group, signal.SIGKILL)

    def logs(self, tail: int = 40) -> str:
        parts = []
        for path in sorted(self.directory.glob("*.log")):
            lines = path.read_text(errors="replace").splitlines()[-tail:]
            parts.append(f"--- {path.name}\n" + "\n".join(lines))
        return "\n".join(parts)

    def log_text(self, name: str) -> str:
        path = self.directory / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # who is who

    def gunicorn_pid(self) -> int:
        """gunicorn's master: ours on PostgreSQL, `rekap serve`'s child on SQLite."""
        if "serve" not in self.processes:
            return self.processes["gunicorn"].pid
        serve = self.processes["serve"].pid
        (master,) = [p for p in children(serve) if "-m gunicorn" in command_line(p)]
        return master

    def worker_pids(self) -> list[int]:
        return children_oldest_first(self.gunicorn_pid())

    def projector_pids(self) -> list[int]:
        """Every `rekap projections run` alive: `rekap serve`'s own, and any this test started."""
        serve = self.processes.get("serve")
        pids = [] if serve is None else children(serve.pid)
        pids = [p for p in pids if "projections run" in command_line(p)]
        started = self.processes.get("projections")
        if started is not None and started.poll() is None:
            pids.append(started.pid)
        return pids

    def projector_pid(self) -> int:
        (pid,) = self.projector_pids()
        return pid

    def projection_children(self) -> list[int]:
        """The supervisor's children, oldest first: recap+plenary, then the audit tree (the
        order service/projections/parallel.py spawns them in)."""
        supervisor = self.projector_pid()
        return [p for p in children_oldest_first(supervisor) if "spawn_main" in command_line(p)]

    # faults

    def kill(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)

    # the service

    def audit_verify(self) -> subprocess.CompletedProcess[str]:
        """`rekap audit verify`, the command line, against the same store."""
        return subprocess.run(
            [sys.executable, "-m", "service.cli", "audit", "verify"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )


def refuse_connections(store: Store, refuse: bool) -> None:
    """An outage of the store's database alone: no new connection is let in while `refuse`."""
    assert store.database
    allow = "false" if refuse else "true"
    with _admin() as admin:
        admin.execute(f"ALTER DATABASE {store.database} WITH ALLOW_CONNECTIONS {allow}")
