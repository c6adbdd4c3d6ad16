"""Live servers for the fault suite, each on a store of its own, always stopped afterwards.

`pg_province` is the production set-up (gunicorn with api/gunicorn_conf.py beside
`rekap projections run`, on PostgreSQL) serving a real province; `sqlite_province` is the
embedded `rekap serve` on SQLite. Each is started once per run and shared by the scenarios:
every fault must leave the service whole for the next one, which is part of what they prove.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.faults import figures
from tests.faults.province import Province, setup_province
from tests.faults.servers import LiveServer, Store, new_store

_STARTED: list[LiveServer] = []


@atexit.register
def _stop_everything() -> None:
    """Even an interrupted run leaves no rekap process behind."""
    for server in _STARTED:
        for group in server.groups:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)


@contextmanager
def fresh_store(backend: str, directory: Path) -> Iterator[Store]:
    """A store of its own, dropped afterwards whatever happens in between."""
    store = new_store(backend, directory)
    try:
        yield store
    finally:
        store.drop()


@contextmanager
def running(store: Store, directory: Path) -> Iterator[LiveServer]:
    """The live server on `store`; every process it started is gone afterwards."""
    server = LiveServer(store, directory)
    _STARTED.append(server)
    try:
        yield server.start()
    finally:
        server.stop()


def _province(backend: str, directory: Path) -> Iterator[Province]:
    with fresh_store(backend, directory) as store:
        dpt, operators = setup_province(store)
        with running(store, directory) as server:
            yield Province(server, dpt, operators)


@pytest.fixture(scope="package")
def pg_province(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Province]:
    yield from _province("postgresql", tmp_path_factory.mktemp("pg-province"))


@pytest.fixture(scope="package")
def sqlite_province(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Province]:
    yield from _province("sqlite", tmp_path_factory.mktemp("sqlite-province"))


@pytest.fixture(params=["postgresql", "sqlite"])
def province(request: pytest.FixtureRequest) -> Province:
    return request.getfixturevalue(
        f"{'pg' if request.param == 'postgresql' else 'sqlite'}_province"
    )


Recorder = Callable[..., None]


@pytest.fixture
def record() -> Recorder:
    return figures.record


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if figures.FIGURES:
        terminalreporter.section("fault suite figures (issue 10)")
        for line in figures.table():
            terminalreporter.write_line(line)
