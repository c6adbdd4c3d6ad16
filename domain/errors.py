"""Domain errors. Each carries what a client needs to fix its request."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class DomainError(Exception):
    """Base of every rule of the process a request can break."""

    code = "domain_error"

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.details: dict[str, object] = {}  # more members of the problem document


class InvalidInput(DomainError):
    """The input cannot be what it claims to be (a code, a form, a tree)."""

    code = "invalid_input"


class NotFound(DomainError):
    """The election, contest, region or TPS does not exist."""

    code = "not_found"


class Conflict(DomainError):
    """The request contradicts what is already recorded."""

    code = "conflict"


class StaleVersion(DomainError):
    """The client acted on a version that is no longer the current one."""

    code = "stale_version"


class Forbidden(DomainError):
    """The actor's role or scope does not allow this."""

    code = "forbidden"


@dataclass
class ErrorList:
    """Collects field errors while validating a nested document."""

    errors: list[FieldError] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))

    def __bool__(self) -> bool:
        return bool(self.errors)
