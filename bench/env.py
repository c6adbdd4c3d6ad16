"""The benchmark's own PostgreSQL database (created for the run, dropped after) and its store."""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from service.bootstrap import Services, build_services, init_store
from service.config import Settings

ADMIN_URL = os.environ.get("REKAP_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
DBNAME = os.environ.get("REKAP_BENCH_DB", "rekap_bench")
ROOT = Path(__file__).resolve().parent.parent


def admin_connect() -> psycopg.Connection[Any]:
    return psycopg.connect(ADMIN_URL, autocommit=True)


def bench_url(schema: str = "rekap") -> str:
    base = ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{DBNAME}?schema={schema}"


def conninfo() -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{DBNAME}"


def settings(directory: Path, pool_size: int = 4) -> Settings:
    return Settings.from_env(
        {
            "REKAP_DATABASE_URL": bench_url(),
            "REKAP_EVIDENCE_DIR": str(directory / "evidence"),
            "REKAP_AUDIT_KEY": str(directory / "audit-key.pem"),
            "REKAP_TOTP_KEY": str(directory / "totp-key"),
            "REKAP_POOL_SIZE": str(pool_size),
        }
    )


def create_database() -> None:
    with admin_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DBNAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DBNAME}"')


def drop_database() -> None:
    with admin_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DBNAME}" WITH (FORCE)')


@contextmanager
def bench_store(directory: Path, keep: bool = False) -> Iterator[Services]:
    """A fresh rekap store in the bench database; the database is dropped afterwards."""
    create_database()
    try:
        s = settings(directory)
        init_store(s)
        services = build_services(s)
        try:
            yield services
        finally:
            services.close()
    finally:
        if not keep:
            drop_database()


def database_size() -> int:
    with admin_connect() as conn:
        row = conn.execute("SELECT pg_database_size(%s)", (DBNAME,)).fetchone()
        return int(row[0]) if row else 0


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = int(line.split()[1]) * 1024
    except OSError:
        pass
    with admin_connect() as conn:
        pg = conn.execute("SHOW server_version").fetchone()
        settings_rows = conn.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN "
            "('shared_buffers', 'synchronous_commit', 'max_connections', 'fsync', "
            "'wal_level', 'commit_delay')"
        ).fetchall()
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(memory / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": pg[0] if pg else "?",
        "postgresql_settings": dict(settings_rows),
        "load_average_at_start": os.getloadavg(),
    }


def commit() -> dict[str, Any]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    return {
        "commit": git("rev-parse", "HEAD"),
        "short": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def max_rss_mb() -> float:
    """Peak resident memory of this process, in MB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def peak_rss_of(pid: int) -> float:
    """Peak resident memory (VmHWM) of another live process, in MB (0 if gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def children_of(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


class ChildMemory:
    """Samples the peak resident memory (VmHWM) of every descendant process while it lives: a
    spawned child's own rusage starts from its parent's peak, /proc's VmHWM from its own."""

    def __init__(self, every: float = 0.5) -> None:
        self.every = every
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> ChildMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        me = os.getpid()
        while not self._stop.wait(self.every):
            pending = children_of(me)
            while pending:
                pid = pending.pop()
                pending += children_of(pid)
                name = _process_name(pid)
                peak = max(self.peaks.get(name, 0.0), peak_rss_of(pid))
                self.peaks = {**self.peaks, name: peak}  # replaced, never changed: safe to read


def _process_name(pid: int) -> str:
    """What a child runs: a projection child of a catch-up or rebuild, the module it was started
    with (gunicorn, service.cli), else its command."""
    try:
        argv = [
            a.decode(errors="replace")
            for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if a
        ]
    except OSError:
        return "gone"
    if not argv:
        return "gone"
    text = " ".join(argv)
    if "multiprocessing" in text:
        return "projection child (catch-up/rebuild)"
    if "-m" in argv[:-1]:
        module = argv[argv.index("-m") + 1]
        return " ".join([module, *argv[argv.index("-m") + 2 : argv.index("-m") + 4]])
    return Path(argv[0]).name
