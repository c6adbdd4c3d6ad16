"""Group commit: concurrent saves of new aggregates in one process share one transaction.

The library serialises writers with a table lock and spends most of a save on round trips, so
one save of fifty aggregates costs little more than one save of one. Threads of a gunicorn
worker that save at the same moment therefore queue their events; the first of them becomes the
leader and saves everything queued in one `app.save(*events)`, while the others wait. If that
save fails on a duplicate (two requests for the same TPS, or a TPS written by another process
meanwhile), nothing of it was written, and the leader saves each member alone so that every
caller gets its own exact answer: its log position, or the IntegrityError of its own save.
A caller alone saves alone, at the cost of a lock it takes without waiting.

Under load a leader waits, up to GATHER_SECONDS, for more callers to join before it saves (as
PostgreSQL's commit_delay does): a busy worker then saves a few larger groups rather than many
small ones, and each transaction costs the worker, the server and the projection process alike.
Load is read from the group before: a leader whose predecessor saved alone does not wait, so a
lone client is never delayed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.errors import DomainError
from service.store.application import Rekap

MAX_GROUP = 200
GATHER_SECONDS = 0.002


class _Slot:
    __slots__ = ("done", "error", "events", "position")

    def __init__(self, events: Sequence[Any]) -> None:
        self.events = list(events)
        self.position = 0
        self.error: BaseException | None = None
        self.done = False


class GroupCommit:
    """Saves aggregates, several callers' at a time; `save` answers as `app.save` would."""

    def __init__(
        self, app: Rekap, max_group: int = MAX_GROUP, gather_seconds: float = GATHER_SECONDS
    ) -> None:
        self.app = app
        self.max_group = max_group
        self.gather_seconds = gather_seconds
        self._cond = threading.Condition()
        self._queue: list[_Slot] = []
        self._busy = False
        self._last_group = 0  # how many callers the latest group answered
        self.groups = 0  # how many transactions were saved (for benchmarks)
        self.saved = 0  # how many callers were answered by them

    def save(self, aggregate: Aggregate) -> int:
        """Save the aggregate's pending events atomically; the log position of its last event.

        Raises IntegrityError exactly when saving it alone would have.
        """
        slot = _Slot(aggregate.collect_events())
        with self._cond:
            self._queue.append(slot)
            while self._busy and not slot.done:
                self._cond.wait()
            if not slot.done:
                self._busy = True
                self._gather()
                group, self._queue = self._queue[: self.max_group], self._queue[self.max_group :]
                self._last_group = len(group)
        if not slot.done:
            try:
                self._commit(group)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
        if slot.error is not None:
            raise slot.error
        return slot.position

    def _gather(self) -> None:
        """Under load, the leader gives others a moment to join its group."""
        if self._last_group < 2:
            return
        deadline = time.monotonic() + self.gather_seconds
        while (remaining := deadline - time.monotonic()) > 0:
            self._cond.wait(remaining)  # nothing notifies while this leader is busy: a sleep

    def _commit(self, group: list[_Slot]) -> None:
        try:
            if len(group) == 1:
                self._save_alone(group[0])
                return
            try:
                recordings = self.app.save(*(e for s in group for e in s.events))
            except (IntegrityError, DomainError):
                # Nothing of the group was written (a duplicate, or an event refused as it was
                # encoded): each member alone gets its own answer.
                for slot in group:
                    self._save_alone(slot)
                return
            except Exception as exc:  # a lost connection, a lock timeout: it failed for everyone
                for slot in group:
                    slot.error = exc
                return
            last = {r.domain_event.originator_id: r.notification.id for r in recordings}
            for slot in group:
                slot.position = last[slot.events[-1].originator_id]
            self.groups += 1
            self.saved += len(group)
        finally:
            for slot in group:
                slot.done = True

    def _save_alone(self, slot: _Slot) -> None:
        try:
            recordings = self.app.save(*slot.events)
            slot.position = recordings[-1].notification.id
            self.groups += 1
            self.saved += 1
        except Exception as exc:
            slot.error = exc
