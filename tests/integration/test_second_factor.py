"""Tokens with a second factor in the store, on SQLite and PostgreSQL: the secret is sealed and
bound to its token, and a code counts once per token, even between racing requests."""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

import pytest

from service.bootstrap import Services
from service.config import Settings
from service.store.tokens import CodeCheck, CodesThrottled
from service.store.totp_key import SecretUnreadable, TotpKey
from tests.totp_codes import code_at_step, secret_of, wrong_code

NOW = time.time()
STEP = int(NOW // 30)


def code(uri: str, step: int = STEP) -> str:
    return code_at_step(secret_of(uri), step)


def test_a_totp_token_is_listed_as_such_and_its_secret_is_stored_only_sealed(
    services: Services, settings: Settings
) -> None:
    plain, _ = services.tokens.create("kpps", "9101011001001")
    token, actor, uri = services.tokens.create_with_totp("ppk", "910101", name="PPK Satu")
    assert actor.id in uri and "PPK%20Satu" in uri
    secret = uri.split("secret=")[1].split("&")[0]

    listed = {row["token_id"]: row for row in services.tokens.list()}
    assert listed[actor.id]["second_factor"] == "totp"
    assert [r["second_factor"] for r in listed.values() if r["token_id"] != actor.id] == [None]
    assert secret not in repr(services.tokens.list())
    stored = services.db.query("SELECT * FROM api_token_totp")
    assert len(stored) == 1 and secret not in repr(stored) and token not in repr(stored)

    credential = services.tokens.credential_for(token)
    assert credential is not None and credential.second_factor and credential.actor == actor
    other = services.tokens.credential_for(plain)
    assert other is not None and not other.second_factor

    key_file = settings.totp_key
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_a_code_is_accepted_once_and_a_wrong_one_never(services: Services) -> None:
    _, actor, uri = services.tokens.create_with_totp("ppk", "910101")
    check = services.tokens.check_code
    assert check(actor.id, wrong_code(uri), now=NOW) is CodeCheck.INVALID
    assert check(actor.id, code(uri), now=NOW) is CodeCheck.ACCEPTED
    assert check(actor.id, code(uri), now=NOW) is CodeCheck.REPLAYED
    # The app's next code (one step of drift ahead) is good, and after it no older code is.
    assert check(actor.id, code(uri, STEP + 1), now=NOW) is CodeCheck.ACCEPTED
    assert check(actor.id, code(uri, STEP - 1), now=NOW) is CodeCheck.REPLAYED
    assert check(actor.id, code(uri, STEP + 2), now=NOW + 30) is CodeCheck.ACCEPTED
    assert check(actor.id, code(uri, STEP + 4), now=NOW + 30) is CodeCheck.INVALID
    # Sixty seconds on, the code of that step is the next one: it counts.
    assert check(actor.id, code(uri, STEP + 4), now=NOW + 90) is CodeCheck.ACCEPTED


def test_a_token_that_tries_too_many_codes_waits_longer_after_each_wrong_one(
    services: Services,
) -> None:
    _, actor, uri = services.tokens.create_with_totp("ppk", "910101")
    start = (STEP + 10) * 30 + 1.0  # a second into a step

    def check(the_code: str, step_offset: int) -> CodeCheck:
        return services.tokens.check_code(actor.id, the_code, now=start + 30 * step_offset)

    def waits(the_code: str, step_offset: int) -> int:
        with pytest.raises(CodesThrottled) as throttled:
            check(the_code, step_offset)
        return throttled.value.retry_after

    # At most five codes a step, right or wrong: a burst of guesses gets no further.
    right = code(uri, STEP + 10)
    assert [check(wrong_code(uri), 0) for _ in range(4)] == [CodeCheck.INVALID] * 4
    assert check(right, 0) is CodeCheck.ACCEPTED
    assert waits(code(uri, STEP + 11), 0) == 29  # until the next step

    # Five wrong codes in a row: the next step is the first to check another; each further
    # wrong code doubles the wait.
    assert [check(wrong_code(uri), 1) for _ in range(5)] == [CodeCheck.INVALID] * 5
    assert waits(code(uri, STEP + 11), 0 + 1) == 29
    assert check(wrong_code(uri), 2) is CodeCheck.INVALID  # sixth in a row: two steps
    assert waits(code(uri, STEP + 13), 3) == 29
    assert check(wrong_code(uri), 4) is CodeCheck.INVALID  # seventh: four steps
    assert waits(code(uri, STEP + 15), 5) == 2 * 30 + 29
    # The right code once the wait is over counts, and clears the wrong ones.
    assert check(code(uri, STEP + 18), 8) is CodeCheck.ACCEPTED
    assert check(wrong_code(uri), 9) is CodeCheck.INVALID
    assert check(code(uri, STEP + 19), 9) is CodeCheck.ACCEPTED

    # The wait stops growing at 1,024 steps (about 8.5 hours).
    with services.db.transaction() as tx:
        tx.execute("UPDATE api_token_totp SET failures = 40 WHERE token_id = %s", (actor.id,))
    assert check(wrong_code(uri), 20) is CodeCheck.INVALID
    assert waits(code(uri, STEP + 30), 20) == 1024 * 30 - 1


def test_each_token_has_its_own_codes_and_its_own_record_of_them(services: Services) -> None:
    _, first, first_uri = services.tokens.create_with_totp("ppk", "910101")
    _, second, second_uri = services.tokens.create_with_totp("ppk", "910101")
    assert secret_of(first_uri) != secret_of(second_uri)
    assert services.tokens.check_code(first.id, code(first_uri), now=NOW) is CodeCheck.ACCEPTED
    assert services.tokens.check_code(second.id, code(second_uri), now=NOW) is CodeCheck.ACCEPTED
    _, actor = services.tokens.create("ppk", "910101")
    assert services.tokens.check_code(actor.id, "123456", now=NOW) is CodeCheck.INVALID


def test_a_sealed_secret_moved_to_another_token_does_not_open(services: Services) -> None:
    _, victim, _ = services.tokens.create_with_totp("kpu_provinsi", "91")
    _, thief, thief_uri = services.tokens.create_with_totp("ppk", "910101")
    with services.db.transaction() as tx:
        sealed = tx.scalar(
            "SELECT sealed_secret FROM api_token_totp WHERE token_id = %s", (thief.id,)
        )
        tx.execute(
            "UPDATE api_token_totp SET sealed_secret = %s WHERE token_id = %s", (sealed, victim.id)
        )
    with pytest.raises(SecretUnreadable, match=victim.id):
        services.tokens.check_code(victim.id, code(thief_uri), now=NOW)


def test_two_requests_racing_with_the_same_code_cannot_both_pass(services: Services) -> None:
    _, actor, uri = services.tokens.create_with_totp("ppk", "910101")
    the_code = code(uri)
    racers = 8
    start = threading.Barrier(racers)
    outcomes: list[CodeCheck | BaseException] = []

    def race() -> None:
        start.wait()
        try:
            outcomes.append(services.tokens.check_code(actor.id, the_code, now=NOW))
        except BaseException as exc:  # a failure must show in the assertion, not vanish
            outcomes.append(exc)

    threads = [threading.Thread(target=race) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # One passes; of the others, four are checked and found replayed, and three find the
    # token's five codes for this step spent.
    assert sorted(
        type(o).__name__ if isinstance(o, BaseException) else o.value for o in outcomes
    ) == [
        "CodesThrottled",
        "CodesThrottled",
        "CodesThrottled",
        "accepted",
        "replayed",
        "replayed",
        "replayed",
        "replayed",
    ]


def test_the_key_file_is_made_once_and_a_file_that_is_no_key_says_so(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "totp-key"
    with pytest.raises(SecretUnreadable, match="cannot read"):
        TotpKey.load(path)
    sealed = TotpKey.load_or_create(path).seal("JBSWY3DPEHPK3PXP", "t_1")
    assert TotpKey.load_or_create(path).open(sealed, "t_1") == "JBSWY3DPEHPK3PXP"
    assert TotpKey.load(path).open(sealed, "t_1") == "JBSWY3DPEHPK3PXP"
    with pytest.raises(SecretUnreadable):
        TotpKey.load(path).open(sealed, "t_2")
    with pytest.raises(SecretUnreadable):
        TotpKey.load_or_create(tmp_path / "another").open(sealed, "t_1")
    for garbage in ("", "v2:" + sealed[3:], sealed[:-4] + "AAAA", "v1:not base64!", "v1:AAAA"):
        with pytest.raises(SecretUnreadable):
            TotpKey.load(path).open(garbage, "t_1")
    for content in (b"", b"short", b"A" * 44, "é".encode(), b"\x00" * 32):
        (tmp_path / "bad").write_bytes(content)
        with pytest.raises(SecretUnreadable, match="base64 of 32 random bytes"):
            TotpKey.load(tmp_path / "bad")
