"""Which event a projection cannot apply, and which failures are the store's, not the event's."""

from __future__ import annotations

import sqlite3

from eventsourcing.persistence import OperationalError
from psycopg_pool import PoolTimeout

from service.store.recorder import is_lost_connection


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
