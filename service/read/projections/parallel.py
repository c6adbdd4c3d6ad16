"""The projections side by side on PostgreSQL: the audit tree in a process of its own.

The recap (with the plenary and dispute read models) and the audit tree read the same log and
write disjoint tables, each with its own position, so nothing orders one after the other. In one
process they take turns on one core; in two, each has a core while PostgreSQL writes for the
other. SQLite takes one writer at a time, so there they stay in one runner.

`run` supervises one process per group and restarts any that dies; `catch_up` applies the log
to all groups at once, the first group in this process (with the progress bar), the others in
child processes; `rebuild` drops every read model first. Children are spawned, never forked:
a forked child would inherit the parent's pooled connections.

Each of these holds the lease of every projection (service/read/projections/lease.py) for as long as
it runs, and refuses to start beside another holder (ProjectionsBusy). Its children work under
that lease and die with it: the kernel kills them when their parent dies (service/lifetime.py),
so a supervisor killed with -9 leaves no writer behind for the next one to collide with.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import signal
import threading
from collections.abc import Callable
from typing import Any

from service.config import Settings
from service.lifetime import die_with_parent, stop_on_signals
from service.read.projections import lease
from service.read.projections.lease import ProjectionsBusy
from service.read.projections.runner import Progress, ProjectionRunner

log = logging.getLogger("rekap.projections")

GROUPS: tuple[tuple[str, ...], ...] = (("recap", "plenary", "dispute"), ("merkle",))
RESTART_DELAY = 1.0
STOP_GRACE = 30.0  # seconds a child gets to finish its batch when asked to stop


def groups_for(settings: Settings) -> list[tuple[str, ...]]:
    if settings.database.is_sqlite:
        return [tuple(name for group in GROUPS for name in group)]
    return list(GROUPS)


def rebuild(settings: Settings, runner: ProjectionRunner, progress: Progress | None = None) -> int:
    """Drop every read model and replay the whole log into them; the log entries applied."""
    with runner.exclusive():
        runner.empty_read_models()
        return catch_up(settings, runner, progress)


def catch_up(settings: Settings, runner: ProjectionRunner, progress: Progress | None = None) -> int:
    """Apply everything in the log now, the groups at once; the log entries the first applied."""
    first, *others = groups_for(settings)
    with runner.exclusive():
        children = [_spawn(_catch_up_child, settings, names) for names in others]
        try:
            count = runner.part(first).catch_up(progress)
        finally:
            for child in children:
                child.join()
    failed = [child.name for child in children if child.exitcode != 0]
    if failed:
        raise RuntimeError(f"{', '.join(failed)} failed to catch up; see the log")
    return count


def run(settings: Settings, stop: threading.Event, runner: ProjectionRunner) -> None:
    """Tail the log with every projection until `stop` is set (SIGTERM, SIGINT).

    ProjectionsBusy when another process runs them already, or takes over their lease after
    this one lost it (PostgreSQL restarted, say)."""
    all_groups = groups_for(settings)
    if len(all_groups) == 1:
        runner.run_forever(stop)
        return
    with lease.exclusive(runner.db.config, runner.names) as held:
        _supervise(settings, stop, held, all_groups)


def _supervise(
    settings: Settings, stop: threading.Event, held: lease.Lease, groups: list[Any]
) -> None:
    children = {names: _spawn(_run_child, settings, names) for names in groups}
    try:
        while not stop.wait(RESTART_DELAY):
            if not held.renew():  # the children must stop: they would be a second writer
                raise ProjectionsBusy(held.wanted, lease.holder(held.config, held.wanted[0]))
            for names, child in list(children.items()):
                if not child.is_alive():
                    log.error("projections %s stopped (exit %s); restarting", names, child.exitcode)
                    children[names] = _spawn(_run_child, settings, names)
    finally:
        # A signal, not a shared multiprocessing.Event: its set() waits forever once a child
        # that waited on it was killed with -9.
        for child in children.values():
            if child.is_alive():
                child.terminate()  # SIGTERM: the child finishes its batch and stops
        for child in children.values():
            child.join(timeout=STOP_GRACE)
            if child.is_alive():
                child.kill()


def _spawn(
    target: Callable[..., None], settings: Settings, names: tuple[str, ...], *args: Any
) -> Any:
    context = multiprocessing.get_context("spawn")
    child = context.Process(
        target=target,
        args=(settings, names, os.getpid(), *args),
        name="projections " + "+".join(names),
    )
    child.start()
    return child


def _child_runner(
    settings: Settings, names: tuple[str, ...], parent: int
) -> tuple[Any, ProjectionRunner]:
    from service.bootstrap import build_services

    die_with_parent(parent)  # its work is only safe under the parent's lease
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(processName)s %(message)s")
    services = build_services(settings)
    return services, services.runner.part(names, leased=False)


def _catch_up_child(settings: Settings, names: tuple[str, ...], parent: int) -> None:
    services, runner = _child_runner(settings, names, parent)
    try:
        count = runner.catch_up()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        log.info("applied %s log entries (peak memory %.0f MB)", count, peak)
    finally:
        services.close()


def _run_child(settings: Settings, names: tuple[str, ...], parent: int) -> None:
    stop = threading.Event()
    stop_on_signals(stop, signal.SIGTERM)
    services, runner = _child_runner(settings, names, parent)
    try:
        runner.run_forever(stop)
    finally:
        services.close()
