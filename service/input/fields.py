"""The fields every loader is made of: strict envelopes, codes, texts, moments, enums.

Each field checks what a client can get wrong in that field alone; what depends on the contest
or on what is recorded is the domain's and the use case's to say.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v

from domain.codes import Tier, normalise, tps_code
from domain.errors import InvalidInput
from domain.regions import MAX_NAME

MAX_TEXT = 4000
MAX_MOMENT = 64  # a reason, a note, an objection's detail: a page of text at most
BOX = v.Range(0, 999)
ID = v.Length(1, 100)  # an id a client or rekap made
NAME_LENGTH = MAX_NAME
SLUG = v.Regexp(r"^[A-Za-z0-9_-]{1,64}$", error="1-64 letters, digits, '-' or '_'")
SHA256 = v.Regexp(r"^[0-9a-f]{64}$", error="the lowercase hex SHA-256 of the uploaded file")


class Strict(ma.Schema):
    """An envelope: every member known, in a fixed order."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


class Loads(Strict):
    """An envelope loaded, once valid, into its typed `COMMAND` (domain/commands.py), field for
    field."""

    COMMAND: ClassVar[Callable[..., Any]]

    @ma.post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Any:
        return type(self).COMMAND(**data)


class Text(f.String):
    """Text a person wrote: stripped, not empty, at most `max_length` characters."""

    def __init__(self, max_length: int = MAX_TEXT, **kwargs: Any) -> None:
        super().__init__(validate=v.Length(1, max_length), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text.strip():
            raise ma.ValidationError("must not be empty")
        return text.strip()


class Flag(f.Boolean):
    """true or false, as JSON writes them (not "yes", not 1)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ma.ValidationError("true or false")
        return value


class Code(f.String):
    """A region or TPS code, dotted or not; loaded undotted. `tier=Tier.TPS` asks for a TPS."""

    def __init__(self, tier: Tier | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {"example": "3171011001001" if tier else "3171"})
        super().__init__(validate=v.Length(1, 24), **kwargs)
        self.tier = tier

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        raw = super()._deserialize(value, attr, data, **kwargs)
        try:
            return tps_code(raw) if self.tier is Tier.TPS else normalise(raw)
        except InvalidInput as exc:
            raise ma.ValidationError(exc.message) from None


class Moment(f.String):
    """An ISO 8601 time with its offset, e.g. 2024-11-27T14:05:00+07:00."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "metadata",
            {"description": "ISO 8601 with offset", "example": "2024-11-27T14:05:00+07:00"},
        )
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        raw = super()._deserialize(value, attr, data, **kwargs)
        try:
            moment = datetime.fromisoformat(raw) if len(raw) <= MAX_MOMENT else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise ma.ValidationError(
                "an ISO 8601 time with its offset, e.g. 2024-11-27T14:05:00+07:00"
            )
        return moment


class DomainChecked(f.Nested):
    """Documented as its nested schema, loaded as it came: the domain checks it, field by field.

    Only its type is checked here (an object), so that one bad item of a bulk import is answered
    on its own instead of failing the whole request.
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict):
            raise ma.ValidationError("must be an object")
        return value


def choice(enum: type[Any], **kwargs: Any) -> f.Enum:
    """One of a domain enum's values, loaded as that enum."""
    return f.Enum(enum, by_value=True, **kwargs)
