"""`rekap projections ...`: rebuild the read models, run them, say how they are."""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
from collections.abc import Callable
from typing import Any

from service.cli.common import open_services
from service.progress import Progress
from service.read.projections import parallel
from service.read.projections.health import readiness

Command = Callable[..., argparse.ArgumentParser]


def add_commands(sub: Any, command: Command) -> None:
    projections = sub.add_parser("projections", help="the read models").add_subparsers()
    command(
        "rebuild",
        cmd_rebuild,
        "rebuild every read model from the log (refused while projections run)",
        projections,
    )
    p = command(
        "run",
        cmd_run,
        "apply new events as they arrive (a long-running process; one at a time per store)",
        projections,
    )
    p.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="stop when the process that started it dies (how `rekap serve` runs it)",
    )
    command(
        "status",
        cmd_status,
        "positions, lag, whether a runner is alive, and any event a projection cannot apply",
        projections,
    )


def cmd_rebuild(args: argparse.Namespace) -> int:

    services = open_services()
    try:
        # The lease first: a refusal is one line, not a progress bar that says "done".
        with services.runner.exclusive(), Progress("rebuild", services.runner.head()) as bar:
            count = parallel.rebuild(services.settings, services.runner, bar.update)
        print(
            json.dumps({"rebuilt": True, "events": count, "position": services.runner.position()})
        )
    finally:
        services.close()
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from service.lifetime import die_with_parent, stop_on_signals

    if args.exit_with_parent:  # SIGTERM: stop as on `kill`, the children with it
        die_with_parent(os.getppid(), signal.SIGTERM)
    stop = threading.Event()
    stop_on_signals(stop)
    services = open_services()
    try:
        parallel.run(services.settings, stop, services.runner)
    finally:
        services.close()
    return 0


def cmd_status(args: argparse.Namespace) -> int:

    services = open_services()
    try:
        head = services.runner.head()
        positions = services.runner.positions()
        state = readiness(head, positions, services.runner.health())
        print(
            json.dumps(
                {
                    "log_head": head,
                    "projections": positions,
                    "lag": {k: head - v for k, v in positions.items()},
                    "ready": state.ready,
                    "problems": state.problems,
                    "health": {
                        name: {k: v for k, v in doc.items() if k not in ("position", "lag")}
                        for name, doc in state.projections.items()
                    },
                }
            )
        )
    finally:
        services.close()
    return 0
