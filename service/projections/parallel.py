"""The projections side by side on PostgreSQL: the audit tree in a process of its own.

The recap (with the plenary read model) and the audit tree read the same log and write
disjoint tables, each with its own position, so nothing orders one after the other. In one
process they take turns on one core; in two, each has a core while PostgreSQL writes for the
other. SQLite takes one writer at a time, so there they stay in one runner.

`run` supervises one process per group and restarts any that dies; `catch_up` applies the log
to all groups at once, the first group in this process (with the progress bar), the others in
child processes; `rebuild` drops every read model first. Children are spawned, never forked:
a forked child would inherit the parent's pooled connections.
"""

from __future__ import annotations

import logging
import multiprocessing
import resource
import threading
from collections.abc import Callable, Sequence
from multiprocessing.synchronize import Event as ProcessEvent
from typing import Any

from service.config import Settings
from service.projections.runner import Progress, ProjectionRunner

log = logging.getLogger("rekap.projections")

GROUPS: tuple[tuple[str, ...], ...] = (("recap", "plenary"), ("merkle",))
RESTART_DELAY = 1.0


def groups_for(settings: Settings) -> list[tuple[str, ...]]:
    if settings.database.is_sqlite:
        return [tuple(name for group in GROUPS for name in group)]
    return list(GROUPS)


def runner_for(runner: ProjectionRunner, names: Sequence[str]) -> ProjectionRunner:
    """The part of `runner` that applies the projections called `names`."""
    chosen = [p for p in runner.projections if p.name in names]
    return ProjectionRunner(runner.app, runner.db, chosen, batch_size=runner.batch_size)


def rebuild(settings: Settings, runner: ProjectionRunner, progress: Progress | None = None) -> int:
    """Drop every read model and replay the whole log into them; the log entries applied."""
    runner.empty_read_models()
    return catch_up(settings, runner, progress)


def catch_up(settings: Settings, runner: ProjectionRunner, progress: Progress | None = None) -> int:
    """Apply everything in the log now, the groups at once; the log entries the first applied."""
    first, *others = groups_for(settings)
    children = [_spawn(_catch_up_child, settings, names) for names in others]
    try:
        count = runner_for(runner, first).catch_up(progress)
    finally:
        for child in children:
            child.join()
    failed = [child.name for child in children if child.exitcode != 0]
    if failed:
        raise RuntimeError(f"{', '.join(failed)} failed to catch up; see the log")
    return count


def run(settings: Settings, stop: threading.Event, runner: ProjectionRunner) -> None:
    """Tail the log with every projection until `stop` is set (SIGTERM, SIGINT)."""
    all_groups = groups_for(settings)
    if len(all_groups) == 1:
        runner.run_forever(stop)
        return
    context = multiprocessing.get_context("spawn")
    stopping = context.Event()
    children = {names: _spawn(_run_child, settings, names, stopping) for names in all_groups}
    try:
        while not stop.wait(RESTART_DELAY):
            for names, child in list(children.items()):
                if not child.is_alive():
                    log.error("projections %s stopped (exit %s); restarting", names, child.exitcode)
                    children[names] = _spawn(_run_child, settings, names, stopping)
    finally:
        stopping.set()
        for child in children.values():
            child.join(timeout=30)
            if child.is_alive():
                child.terminate()


def _spawn(
    target: Callable[..., None], settings: Settings, names: tuple[str, ...], *args: Any
) -> Any:
    context = multiprocessing.get_context("spawn")
    child = context.Process(
        target=target, args=(settings, names, *args), name="projections " + "+".join(names)
    )
    child.start()
    return child


def _child_runner(settings: Settings, names: tuple[str, ...]) -> tuple[Any, ProjectionRunner]:
    from service.bootstrap import build_services

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(processName)s %(message)s")
    services = build_services(settings)
    return services, runner_for(services.runner, names)


def _catch_up_child(settings: Settings, names: tuple[str, ...]) -> None:
    services, runner = _child_runner(settings, names)
    try:
        count = runner.catch_up()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        log.info("applied %s log entries (peak memory %.0f MB)", count, peak)
    finally:
        services.close()


def _run_child(settings: Settings, names: tuple[str, ...], stopping: ProcessEvent) -> None:
    services, runner = _child_runner(settings, names)
    stop = threading.Event()
    threading.Thread(target=lambda: (stopping.wait(), stop.set()), daemon=True).start()
    try:
        runner.run_forever(stop)
    finally:
        services.close()
