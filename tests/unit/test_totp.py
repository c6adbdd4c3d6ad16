"""The second factor's codes: RFC 6238 as every authenticator app computes them."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.store import totp
from tests.totp_codes import code_at_step, secret_of

# RFC 6238, appendix B: the SHA-1 rows (key "12345678901234567890", 8 digits, 30 s steps).
RFC_KEY = b"12345678901234567890"
RFC_SECRET = base64.b32encode(RFC_KEY).decode()
RFC_VECTORS = [
    (59, 0x0000001, "94287082"),
    (1111111109, 0x23523EC, "07081804"),
    (1111111111, 0x23523ED, "14050471"),
    (1234567890, 0x273EF07, "89005924"),
    (2000000000, 0x3F940AA, "69279037"),
    (20000000000, 0x27BC86AA, "65353130"),
]
HOSTILE = [
    "",
    "12345",
    "1234567",
    "12345a",
    "abcdef",
    "\x00",
    "123\x00456",
    "123 456",
    "-12345",
    "+12345",
    "١٢٣٤٥٦",  # Arabic-Indic digits: str.isdigit() says yes
    "１２３４５６",  # fullwidth digits
    "¹²³⁴⁵⁶",
    "\ud800" * 6,
    "9" * 100_000,
]


@pytest.mark.parametrize(("moment", "step", "code"), RFC_VECTORS)
def test_codes_are_those_of_the_rfc_6238_test_vectors(moment: int, step: int, code: str) -> None:
    # Six digits are the last six of the RFC's eight (both are the same number modulo 10^d).
    assert totp.step_at(moment) == step
    assert totp.code_for_step(RFC_SECRET, step) == code[-6:]
    assert totp.matching_steps(RFC_SECRET, code[-6:], now=moment) == [step]
    assert code_at_step(RFC_KEY, step, digits=8) == code  # the tests' own authenticator too


def test_a_code_of_the_step_before_or_after_is_accepted_and_none_further() -> None:
    now = 1234567890
    step = totp.step_at(now)
    for drift in (-1, 0, 1):
        code = totp.code_for_step(RFC_SECRET, step + drift)
        assert step + drift in totp.matching_steps(RFC_SECRET, code, now=now)
    for drift in (-3, -2, 2, 3):
        code = totp.code_for_step(RFC_SECRET, step + drift)
        assert step + drift not in totp.matching_steps(RFC_SECRET, code, now=now)


def test_the_uri_is_one_an_authenticator_app_reads_with_sha1_six_digits_and_30_seconds() -> None:
    secret = totp.new_secret()
    uri = totp.otpauth_uri(secret, "t_0123456789ab (PPK Satu)")
    assert uri.startswith("otpauth://totp/rekap:t_0123456789ab")
    assert "issuer=rekap" in uri
    key = secret_of(uri)
    assert len(key) == 20  # 160 bits
    assert code_at_step(key, 57_000_000) == totp.code_for_step(secret, 57_000_000)


def test_new_secrets_differ() -> None:
    assert len({totp.new_secret() for _ in range(50)}) == 50


@pytest.mark.parametrize("code", HOSTILE, ids=lambda c: repr(c[:12]))
def test_what_is_not_six_ascii_digits_matches_nothing(code: str) -> None:
    assert not totp.is_well_formed(code)
    assert totp.matching_steps(RFC_SECRET, code, now=59) == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=12))
def test_any_text_matches_only_if_it_is_the_code_of_a_step_in_the_window(code: str) -> None:
    steps = totp.matching_steps(RFC_SECRET, code, now=1111111111)
    expected = {totp.code_for_step(RFC_SECRET, s) for s in (0x23523EC, 0x23523ED, 0x23523EE)}
    assert bool(steps) == (code in expected)
