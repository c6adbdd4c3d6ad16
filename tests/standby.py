"""A streaming standby of the test PostgreSQL, for the replica tests and the benchmark.

`Standby.create(url)` takes a base backup of the server at `url` (pg_basebackup, WAL streamed,
standby.signal and primary_conninfo written by -R) into a directory of its own under /tmp, and
starts it with pg_ctl on a free port of 127.0.0.1 as a hot standby. PostgreSQL refuses to run as
root: run as root, every PostgreSQL command runs as the `postgres` user, which owns the
directory. `remove()` stops it and deletes the directory; a directory left by a process that
died (its pid in `owner`) is cleaned up by the next `create`.

The primary must accept replication connections from 127.0.0.1 (pg_hba.conf:
`host replication all 127.0.0.1/32 trust`, which .ci/run adds) with `wal_level` replica or
logical and `max_wal_senders` above 0 (PostgreSQL's defaults).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

from service.config import parse_database_url
from service.store.db import connect_admin
from tests.live import free_port

PREFIX = "rekap-standby-"
HBA_LINE = "host replication all 127.0.0.1/32 trust"
RUN_AS_POSTGRES = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
STANDBY_CONF = """\
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{sockets}'
hot_standby = on
hot_standby_feedback = on
fsync = off
logging_collector = off
"""
STANDBY_HBA = "local all all trust\nhost all all 127.0.0.1/32 trust\n"


class StandbyError(Exception):
    """No standby can be built here (and why)."""


def _run(command: list[str], what: str, timeout: float = 300) -> str:
    try:
        done = subprocess.run(
            [*RUN_AS_POSTGRES, *command], capture_output=True, text=True, timeout=timeout
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StandbyError(f"{what}: {exc}") from exc
    if done.returncode != 0:
        raise StandbyError(f"{what} failed: {(done.stderr or done.stdout).strip()[-2000:]}")
    return done.stdout


def _bin_dir(url: str) -> Path:
    """The PostgreSQL programs of the primary's major version (Debian keeps one per version)."""
    with connect_admin(parse_database_url(url)) as conn:
        row = conn.execute("SELECT current_setting('server_version_num')::int").fetchone()
    major = int(row[0]) // 10000 if row else 0
    for candidate in (Path(f"/usr/lib/postgresql/{major}/bin"), _pg_config_bindir()):
        if candidate is not None and (candidate / "pg_basebackup").exists():
            return candidate
    raise StandbyError(f"no pg_basebackup of PostgreSQL {major} on this machine")


def _pg_config_bindir() -> Path | None:
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)
        return Path(out.stdout.strip())
    return None


def _check_primary(url: str) -> None:
    """Say what is missing before pg_basebackup fails with less to go on."""
    with connect_admin(parse_database_url(url)) as conn:
        level = conn.execute("SHOW wal_level").fetchone()
        senders = conn.execute("SHOW max_wal_senders").fetchone()
        rules = conn.execute(
            "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database) "
            "AND type IN ('host', 'hostnossl', 'local') AND error IS NULL"
        ).fetchone()
    if level and level[0] == "minimal":
        raise StandbyError("the primary runs with wal_level = minimal: set it to replica")
    if senders and int(senders[0]) < 1:
        raise StandbyError("the primary runs with max_wal_senders = 0")
    if rules and int(rules[0]) == 0:
        raise StandbyError(
            f"the primary's pg_hba.conf allows no replication connection: add '{HBA_LINE}' "
            "and reload it (.ci/run does)"
        )


def sweep() -> None:
    """Stop and delete the standbys of processes that are gone."""
    for directory in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        owner = directory / "owner"
        try:
            pid = int(owner.read_text())
        except (OSError, ValueError):
            continue
        if Path(f"/proc/{pid}").exists():
            continue
        Standby(directory, port=0, bin_dir=Path("/nonexistent")).remove()


class Standby:
    def __init__(self, directory: Path, port: int, bin_dir: Path) -> None:
        self.directory = directory
        self.data = directory / "data"
        self.port = port
        self.bin_dir = bin_dir

    @classmethod
    def create(cls, primary_url: str) -> Standby:
        """A base backup of the server at `primary_url`, started as a streaming standby."""
        sweep()
        if RUN_AS_POSTGRES and shutil.which("runuser") is None:
            raise StandbyError("running as root, and no runuser to run PostgreSQL as postgres")
        try:
            _check_primary(primary_url)
            bin_dir = _bin_dir(primary_url)
        except psycopg.Error as exc:
            raise StandbyError(f"the primary does not answer: {exc}") from exc
        primary = parse_database_url(primary_url)
        directory = Path(tempfile.mkdtemp(prefix=PREFIX))
        (directory / "owner").write_text(str(os.getpid()))
        if RUN_AS_POSTGRES:
            shutil.chown(directory, "postgres", "postgres")
        standby = cls(directory, free_port(), bin_dir)
        try:
            _run(
                [
                    str(bin_dir / "pg_basebackup"),
                    f"--host={primary.host}",
                    f"--port={primary.port}",
                    f"--username={primary.user}",
                    f"--pgdata={standby.data}",
                    "--wal-method=stream",
                    "--write-recovery-conf",
                    "--checkpoint=fast",
                    "--no-password",
                ],
                "pg_basebackup",
            )
            standby._configure()
            standby.start()
        except BaseException:
            standby.remove()
            raise
        return standby

    def _configure(self) -> None:
        conf = STANDBY_CONF.format(port=self.port, sockets=self.directory)
        for name, text in (("postgresql.conf", conf), ("pg_hba.conf", STANDBY_HBA)):
            path = self.data / name
            path.write_text(text)
            if RUN_AS_POSTGRES:
                shutil.chown(path, "postgres", "postgres")

    def url(self, primary_url: str, schema: str | None = None) -> str:
        """The URL of this standby for the database of `primary_url` (and `schema`)."""
        primary = parse_database_url(primary_url)
        query = f"?schema={schema}" if schema else ""
        return f"postgresql://{primary.user}@127.0.0.1:{self.port}/{primary.dbname}{query}"

    def _pg_ctl(self, *args: str) -> str:
        return _run([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), *args], "pg_ctl")

    def start(self) -> None:
        if self.running():
            return
        self._pg_ctl("-l", str(self.directory / "log"), "-w", "-t", "120", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop it; `immediate` is a crash (what a dead machine looks like to its clients)."""
        if self.running():
            self._pg_ctl("-m", mode, "-w", "-t", "60", "stop")

    def kill(self) -> None:
        self.stop("immediate")

    def running(self) -> bool:
        pid_file = self.data / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return False
        return Path(f"/proc/{pid}").exists()

    def connect(self, dbname: str = "postgres") -> psycopg.Connection[Any]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=dbname, autocommit=True
        )

    def pause_replay(self) -> None:
        """Stop applying the primary's WAL (what a replica far behind looks like)."""
        with self.connect() as conn:
            conn.execute("SELECT pg_wal_replay_pause()")
            deadline = time.monotonic() + 30
            while conn.execute("SELECT pg_get_wal_replay_pause_state()").fetchone() != ("paused",):
                if time.monotonic() > deadline:
                    raise StandbyError("the standby did not pause its replay")
                time.sleep(0.01)

    def resume_replay(self) -> None:
        with self.connect() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")

    def promote(self) -> None:
        """Make it a primary of its own: it stops following the primary for good."""
        self._pg_ctl("-w", "-t", "60", "promote")

    def remove(self) -> None:
        """Stop it (as a crash: it is thrown away) and delete its directory."""
        with contextlib.suppress(StandbyError):
            if self.running():
                bin_dir = self.bin_dir if self.bin_dir.exists() else _any_bin_dir()
                _run(
                    [str(bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                    "pg_ctl stop",
                )
        shutil.rmtree(self.directory, ignore_errors=True)


def _any_bin_dir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else Path("/usr/bin")
