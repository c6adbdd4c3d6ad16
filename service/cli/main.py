"""The `rekap` command line: one parser made of every command group's commands."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from domain.errors import DomainError
from service.cli import audit, node, projections, results, serve, setup, tokens
from service.cli.common import CliError, Handler
from service.config import ConfigError, Settings
from service.read.projections.lease import ProjectionsBusy
from service.read.projections.runner import ProjectionStuck
from service.store import errors as store_errors

GROUPS = (setup, serve, results, projections, tokens, audit, node)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error.field}: {error.message}", file=sys.stderr)
        return 1
    except (CliError, ConfigError, OSError, ProjectionsBusy, ProjectionStuck) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a store that does not answer is one line, not a traceback
        if not store_errors.is_unreachable(exc):
            raise
        print(f"error: {_store_error(exc)}", file=sys.stderr)
        return 1


def _store_error(exc: Exception) -> str:
    try:
        return store_errors.describe(Settings.from_env().database, exc)
    except ConfigError:
        return str(exc)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rekap",
        description="Event-sourced staged vote recapitulation. The store is chosen by "
        "REKAP_DATABASE_URL (default sqlite:///var/rekap.db).",
    )
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    def command(
        name: str, handler: Handler, help: str, parent: Any = sub
    ) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=help, description=help)
        p.set_defaults(handler=handler)
        return p

    for group in GROUPS:
        group.add_commands(sub, command)
    return parser
