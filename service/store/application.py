"""The event-sourced application: the one log every submission, correction and decision goes to."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import InfrastructureFactory, Transcoder
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.utils import Environment

from service.config import Settings
from service.store.db import RECONNECT_TIMEOUT
from service.store.transcoder import EventTranscoder

# Saves in one round trip, so the log's table lock is never held while a client waits.
ONE_TRIP_RECORDER = "service.store.recorder:OneTripRecorder"


class Rekap(Application[UUID]):
    """Its PostgreSQL table is `rekap_events`; on SQLite the library's `stored_events`."""

    name = "rekap"
    log_section_size = 1000

    def __init__(
        self, env: dict[str, str] | None = None, connect_options: dict[str, str] | None = None
    ) -> None:
        self._connect_options = dict(connect_options or {})
        super().__init__(env)

    def construct_factory(self, env: Environment) -> InfrastructureFactory:
        factory = super().construct_factory(env)
        datastore = getattr(factory, "datastore", None)
        if isinstance(datastore, PostgresDatastore):
            # The library has no setting for libpq's connect timeout or session options.
            datastore.pool.kwargs.update(self._connect_options)
            datastore.pool.reconnect_timeout = RECONNECT_TIMEOUT
            if not datastore.enable_db_functions:
                # Its constructor looks up a composite type that only its database functions
                # use (off here): that lookup connected at once, so a worker could not even
                # start while the store was down, instead of answering 503 until it is back.
                datastore.register_type_adapters = lambda: None  # type: ignore[method-assign]
        return factory

    def construct_transcoder(self) -> Transcoder:
        transcoder = EventTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def get_or_none(self, aggregate_id: UUID) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def save_and_position(self, *aggregates: Aggregate) -> int:
        """Save atomically; the log position of the last event written."""
        recordings = self.save(*aggregates)
        return (
            recordings[-1].notification.id
            if recordings
            else self.recorder.max_notification_id() or 0
        )


def build_application(settings: Settings, *, create_table: bool = False) -> Rekap:
    if settings.database.is_sqlite:
        Path(settings.database.path).parent.mkdir(parents=True, exist_ok=True)
    env = settings.database.eventsourcing_env(
        create_table=create_table, pool_size=settings.pool_size, pool_timeout=settings.timeouts.pool
    )
    if settings.database.is_sqlite:
        return Rekap(env=env)
    env["APPLICATION_RECORDER_TOPIC"] = ONE_TRIP_RECORDER
    return Rekap(env=env, connect_options=settings.connect_options())
