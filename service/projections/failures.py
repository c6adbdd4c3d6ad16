"""Which event a projection cannot apply, and which failures are the store's, not the event's."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from eventsourcing.persistence import OperationalError
from psycopg_pool import PoolTimeout

from service.projections.health import Failure
from service.recorder import is_lost_connection

if TYPE_CHECKING:
    from service.projections.runner import ProjectionRunner


def is_store_outage(error: BaseException) -> bool:
    """The store did not answer (no connection, a lost one, a busy SQLite file): no event
    is at fault, and naming one would mislead."""
    if isinstance(error, sqlite3.OperationalError):
        return "locked" in str(error) or "busy" in str(error)
    if isinstance(error, OperationalError | PoolTimeout) and isinstance(
        error.__cause__ or error, PoolTimeout
    ):
        return True
    return is_lost_connection(error)


def brief(error: BaseException, limit: int = 2000) -> str:
    """The error in a line or a few, never a whole batch's worth of data."""
    text = f"{error.__class__.__name__}: {error}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def find_failure(runner: ProjectionRunner) -> Failure | None:
    """Apply the next batch one event and one projection at a time, each in a transaction of
    its own, up to the first that fails: that event and projection, and the error. None when
    everything went through (the fault has passed); what went through stays applied."""
    from service.projections.runner import ConcurrentRunnerError

    for event in runner.pending():
        for projection in runner.projections:
            try:
                runner.apply_one(projection, event)
            except ConcurrentRunnerError:
                raise
            except Exception as exc:
                notification = event.notification
                return Failure(
                    projection=projection.name,
                    error=brief(exc),
                    position=event.position,
                    aggregate=str(notification.originator_id) if notification else None,
                    topic=event.topic,
                )
    return None
