"""What every projection offers the runner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from service.db import Tx


@dataclass(frozen=True)
class LoggedEvent:
    """A domain event with its place in the log."""

    position: int
    event: Any  # an eventsourcing DomainEvent

    @property
    def topic(self) -> str:
        return type(self.event).TOPIC


class Projection(Protocol):
    name: str

    def create_statements(self) -> list[str]: ...

    def table_names(self) -> list[str]: ...

    def apply(self, tx: Tx, events: list[LoggedEvent]) -> None:
        """Apply the events (in log order) inside the runner's transaction."""
        ...
