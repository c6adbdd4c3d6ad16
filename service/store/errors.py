"""A store that does not answer, said in one line: which server, and what is wrong with it."""

from __future__ import annotations

import sqlite3

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError

from service.config import DatabaseConfig
from service.store.db import connect_admin

STORE_UNREACHABLE: tuple[type[Exception], ...] = (
    psycopg.OperationalError,  # PoolTimeout too
    OperationalError,
    InterfaceError,
    sqlite3.OperationalError,
)


def is_unreachable(error: BaseException) -> bool:
    """The store cannot be reached or opened (not: it lacks its tables)."""
    if isinstance(error, sqlite3.OperationalError):
        return "no such table" not in str(error)
    return isinstance(error, STORE_UNREACHABLE)


def describe(config: DatabaseConfig, error: Exception) -> str:
    """What an operator must know to fix it. A pool only says it found no connection in time,
    so PostgreSQL is asked once more, directly, for the reason."""
    if config.is_sqlite:
        return f"the SQLite store {config.path} cannot be used: {error}"
    where = f"PostgreSQL at {config.host}:{config.port}"
    try:
        with connect_admin(config):
            pass
    except psycopg.Error as refused:
        reason = _first_line(refused)
        if "does not exist" in reason and "database" in reason:
            return (
                f"database '{config.dbname}' does not exist on {where}: create it, "
                "or fix REKAP_DATABASE_URL"
            )
        if any(
            word in reason
            for word in ("refused", "timeout", "resolve", "translate host", "No route", "SSL")
        ):
            return f"{where} did not answer ({reason}): is it running, is REKAP_DATABASE_URL right?"
        return f"{where} refused the connection: {reason}"
    return f"{where} did not answer in time: {_first_line(error)}"


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else error.__class__.__name__
    for prefix in ("connection failed: ",):
        text = text.removeprefix(prefix)
    if "failed: " in text:  # 'connection to server at "h", port 1 failed: Connection refused'
        text = text.split("failed: ", 1)[1]
    return text.replace("FATAL:  ", "").strip()
