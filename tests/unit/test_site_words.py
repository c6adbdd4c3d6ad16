"""The site's catalogue and how each language writes numbers, percentages and times."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from api.site.i18n import WORDS, Locale, language_of, moment, number, percent, signed


def test_indonesian_groups_thousands_with_dots_and_writes_decimals_with_a_comma() -> None:
    assert number(2_183_239, "id") == "2.183.239"
    assert percent(50.07, "id") == "50,07%"
    assert percent(100.0, "id") == "100,00%"
    assert number(1234.5, "id") == "1.234,50"


def test_english_writes_them_the_other_way_round() -> None:
    assert number(2_183_239, "en") == "2,183,239"
    assert percent(50.07, "en") == "50.07%"


@given(st.integers(min_value=0, max_value=10**12))
def test_an_indonesian_number_reads_back_as_the_same_number(n: int) -> None:
    assert int(number(n, "id").replace(".", "")) == n


def test_a_difference_carries_its_sign() -> None:
    assert signed(12, "id") == "+12"
    assert signed(-1500, "id") == "\u22121.500"
    assert signed(0, "en") == "0"


def test_times_are_shown_in_wib() -> None:
    assert moment("2024-11-27T08:30:00+00:00", "id") == "27-11-2024 15:30:00 WIB"
    assert moment("2024-11-27T08:30:00+00:00", "en") == "2024-11-27 15:30:00 WIB"
    assert moment("not a time", "id") == "not a time"
    assert moment(None, "id") == "-"


def test_every_word_has_both_languages() -> None:
    for key, (indonesian, english) in WORDS.items():
        assert indonesian.strip() and english.strip(), key
        assert set(_placeholders(indonesian)) == set(_placeholders(english)), key


def test_an_unknown_language_is_indonesian_and_an_unknown_word_shows_its_key() -> None:
    assert language_of("fr") == "id" and language_of(None) == "id" and language_of("en") == "en"
    assert Locale("id").t("no.such.word") == "no.such.word"
    assert Locale("en").label("event.Unknown", "Unknown") == "Unknown"


def _placeholders(text: str) -> list[str]:
    import string

    return [name for _, name, _, _ in string.Formatter().parse(text) if name]
