"""The site's words in Indonesian (first: the public is Indonesian) and English, and how each
language writes numbers, percentages and times.

Indonesian groups thousands with a dot and writes decimals with a comma (1.234.567; 50,07%);
English the other way round. Times are stored in UTC and shown in WIB (UTC+7, the time KPU
announces in), with the ISO form kept in the page's <time> elements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from api.site.words import WORDS

LANGUAGES = ("id", "en")
DEFAULT = "id"
WIB = timezone(timedelta(hours=7), "WIB")


def translate(language: str, key: str, **values: object) -> str:
    """The text of `key` in `language` with its {placeholders} filled; the key itself if unknown
    (so a missing word shows, rather than failing the page)."""
    pair = WORDS.get(key)
    if pair is None:
        return key
    text = pair[1] if language == "en" else pair[0]
    return text.format(**values) if values else text


def language_of(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT


def number(value: int | float | None, language: str) -> str:
    if value is None:
        return "-"
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
    return _localise(text, language)


def percent(value: float | None, language: str) -> str:
    if value is None:
        return "-"
    return _localise(f"{value:,.2f}", language) + "%"


def signed(value: int, language: str) -> str:
    """A difference: +12, -3 (a real minus sign), 0."""
    if value > 0:
        return "+" + number(value, language)
    if value < 0:
        return "\u2212" + number(-value, language)
    return "0"


def moment(value: str | None, language: str) -> str:
    """A stored time in WIB: 27-11-2024 15:30:00 WIB (Indonesian) or 2024-11-27 15:30:00 WIB."""
    if not value:
        return "-"
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    local = parsed.astimezone(WIB)
    pattern = "%Y-%m-%d %H:%M:%S" if language == "en" else "%d-%m-%Y %H:%M:%S"
    return local.strftime(pattern) + " WIB"


def _localise(text: str, language: str) -> str:
    if language == "en":
        return text
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


@dataclass(frozen=True)
class Locale:
    """The words and number formats of one language, as the templates use them."""

    language: str

    def t(self, key: str, **values: object) -> str:
        return translate(self.language, key, **values)

    def label(self, key: str, fallback: str) -> str:
        """The word for `key`, or `fallback` where the catalogue has none (an event type, say)."""
        return translate(self.language, key) if key in WORDS else fallback

    def number(self, value: int | float | None) -> str:
        return number(value, self.language)

    def percent(self, value: float | None) -> str:
        return percent(value, self.language)

    def signed(self, value: int) -> str:
        return signed(value, self.language)

    def moment(self, value: str | None) -> str:
        return moment(value, self.language)
