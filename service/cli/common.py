"""What every command shares: its errors, the store it opens, JSON files read strictly."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from service.bootstrap import Services, build_services
from service.config import Settings
from service.input.strict_json import MalformedJson, parse_json
from service.progress import Progress
from service.store import errors as store_errors

Handler = Callable[[argparse.Namespace], int | None]
Command = Callable[..., argparse.ArgumentParser]  # (name, handler, help, parent) -> its parser


class CliError(Exception):
    """A failure the user can act on; printed without a traceback."""


def read_json(path: Path) -> Any:
    """A JSON file ('-': standard input), read as strictly as a request body."""
    if str(path) == "-":
        raw = sys.stdin.buffer.read()
    elif not path.exists():
        raise CliError(f"no such file: {path}")
    else:
        raw = path.read_bytes()
    try:
        return parse_json(raw)
    except MalformedJson as exc:
        raise CliError(f"{path}: {exc}") from None


def open_services() -> Services:
    """The store of REKAP_DATABASE_URL, checked to be initialised (`rekap init`)."""
    services = build_services(Settings.from_env())
    try:
        services.runner.positions()
    except Exception as exc:
        services.close()
        if store_errors.is_unreachable(exc):
            raise
        raise CliError(
            f"the store is not ready ({exc.__class__.__name__}): run `rekap init`"
        ) from exc
    return services


@contextmanager
def store() -> Iterator[Services]:
    """The store for one command, closed when it is done."""
    services = open_services()
    try:
        yield services
    finally:
        services.close()


def catch_up(services: Services, label: str = "projections") -> None:
    """The read models up to the log's head: applied here, or by the projection process when
    one runs (this waits for it)."""
    todo = services.runner.head() - services.runner.position()
    with Progress(label, todo) as bar:
        services.runner.catch_up(bar.update)
