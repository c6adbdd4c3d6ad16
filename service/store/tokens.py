"""Bearer tokens: issued once by the CLI, stored only as their SHA-256, revocable; optionally
with a second factor (a TOTP secret, sealed under REKAP_TOTP_KEY) whose codes count once."""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from domain.access import Actor, make_actor
from service.store import totp
from service.store.db import Database, Tx
from service.store.totp_key import TotpKey

PREFIX = "rk_"
CACHE_SECONDS = 5.0
CACHE_SIZE = 10_000
DEFAULT_TOTP_KEY = Path("var/totp-key")
# Six digits are guessable by a client that may try without end (RFC 4226, 7.3): a token's codes
# are checked at most this often per 30 s step, right or wrong (a burst of guesses gets no
# further), and past FREE_FAILURES wrong codes in a row each further one makes the token wait
# twice as long as the last, up to MAX_WAIT_STEPS (about 8.5 hours). An accepted code resets it.
ATTEMPTS_PER_STEP = 5
FREE_FAILURES = 5
MAX_WAIT_STEPS = 1024


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Credential:
    """What a valid token stands for: its actor, and whether its writes need a TOTP code."""

    actor: Actor
    second_factor: bool = False


class CodeCheck(Enum):
    ACCEPTED = "accepted"
    INVALID = "invalid"  # not a code of this token's secret within the drift window
    REPLAYED = "replayed"  # this code (or a later one) was accepted already


class CodesThrottled(Exception):
    """Too many codes tried for this token: none is checked for `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many codes tried for this token: try again in {retry_after} s")
        self.retry_after = retry_after


class TokenStore:
    def __init__(self, db: Database, totp_key: Path = DEFAULT_TOTP_KEY) -> None:
        self.db = db
        self.totp_key_path = totp_key
        self._totp_key: TotpKey | None = None
        self._cache: dict[str, tuple[Credential, float]] = {}
        self.clock: Callable[[], float] = time.time  # what "now" is for TOTP codes

    def create_table(self) -> None:
        self.db.execute_script(
            [
                "CREATE TABLE IF NOT EXISTS api_token (token_hash TEXT PRIMARY KEY, "
                "token_id TEXT NOT NULL UNIQUE, role TEXT NOT NULL, scope TEXT, contest TEXT, "
                "candidate INTEGER, name TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT)",
                # last_step: the newest 30-second step whose code was accepted; a code of that
                # step or an earlier one is a replay.
                # attempts: codes checked in attempt_step; failures: wrong codes in a row; no
                # code is checked before retry_step.
                "CREATE TABLE IF NOT EXISTS api_token_totp (token_id TEXT PRIMARY KEY "
                "REFERENCES api_token (token_id), sealed_secret TEXT NOT NULL, "
                "last_step BIGINT NOT NULL DEFAULT -1, "
                "attempt_step BIGINT NOT NULL DEFAULT -1, attempts INTEGER NOT NULL DEFAULT 0, "
                "failures INTEGER NOT NULL DEFAULT 0, retry_step BIGINT NOT NULL DEFAULT -1)",
            ]
        )

    def create(
        self,
        role: str,
        scope: str | None = None,
        contest: str | None = None,
        candidate: int | None = None,
        name: str = "",
    ) -> tuple[str, Actor]:
        """A new token (returned once, never stored in clear) and the actor it stands for."""
        actor = make_actor("t_" + secrets.token_hex(6), role, scope, contest, candidate, name)
        token = PREFIX + secrets.token_urlsafe(32)
        with self.db.transaction() as tx:
            self._insert(tx, token, actor)
        return token, actor

    def create_with_totp(
        self,
        role: str,
        scope: str | None = None,
        contest: str | None = None,
        candidate: int | None = None,
        name: str = "",
    ) -> tuple[str, Actor, str]:
        """A new token whose writes need a TOTP code, its actor, and the `otpauth://` URI of
        its secret: all three are shown once; the secret is stored sealed, never in clear."""
        actor = make_actor("t_" + secrets.token_hex(6), role, scope, contest, candidate, name)
        token = PREFIX + secrets.token_urlsafe(32)
        secret = totp.new_secret()
        sealed = self._key(create=True).seal(secret, actor.id)
        with self.db.transaction() as tx:
            self._insert(tx, token, actor)
            tx.execute(
                "INSERT INTO api_token_totp (token_id, sealed_secret) VALUES (%s, %s)",
                (actor.id, sealed),
            )
        account = f"{actor.id} ({name})" if name else actor.id
        return token, actor, totp.otpauth_uri(secret, account)

    def _insert(self, tx: Tx, token: str, actor: Actor) -> None:
        tx.execute(
            "INSERT INTO api_token (token_hash, token_id, role, scope, contest, candidate, "
            "name, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                token_hash(token),
                actor.id,
                actor.role.value,
                actor.scope,
                actor.contest,
                actor.candidate,
                actor.name,
                datetime.now(UTC).isoformat(),
            ),
        )

    def credential_for(self, token: str) -> Credential | None:
        """The credential of a valid, unrevoked token; None otherwise.

        A known token is remembered for CACHE_SECONDS, so a busy client costs one lookup per
        few seconds rather than one per request; a revocation takes effect within that time in
        every process (at once in the one that revoked it). Only what never changes is
        remembered: whether a TOTP code counts is asked of the store every time (check_code).
        """
        digest = token_hash(token)
        cached = self._cache.get(digest)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        credential = self._lookup(digest)
        if credential is not None:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[digest] = (credential, time.monotonic() + CACHE_SECONDS)
        return credential

    def _lookup(self, digest: str) -> Credential | None:
        rows = self.db.query(
            "SELECT t.token_id, t.role, t.scope, t.contest, t.candidate, t.name, "
            "o.token_id AS totp FROM api_token t "
            "LEFT JOIN api_token_totp o ON o.token_id = t.token_id "
            "WHERE t.token_hash = %s AND t.revoked_at IS NULL",
            (digest,),
        )
        if not rows:
            return None
        r = rows[0]
        actor = make_actor(
            r["token_id"], r["role"], r["scope"], r["contest"], r["candidate"], r["name"]
        )
        return Credential(actor, second_factor=r["totp"] is not None)

    def check_code(self, token_id: str, code: str, now: float | None = None) -> CodeCheck:
        """Accept `code` for this token at most once: a code of the previous, current or next
        step, newer than the last one accepted.

        The check runs in one transaction that starts by counting the attempt on the token's
        row: two requests racing with the same code are checked one after the other, and the
        second finds the step taken. SecretUnreadable when the sealed secret does not open with
        REKAP_TOTP_KEY; CodesThrottled when this token has tried too many codes.
        """
        if not totp.is_well_formed(code):
            return CodeCheck.INVALID
        moment = self.clock() if now is None else now
        current = totp.step_at(moment)
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE api_token_totp SET attempts = CASE WHEN attempt_step = %s "
                "THEN attempts + 1 ELSE 1 END, attempt_step = %s "
                "WHERE token_id = %s AND retry_step <= %s "
                "AND (attempt_step <> %s OR attempts < %s)",
                (current, current, token_id, current, current, ATTEMPTS_PER_STEP),
            )
            counted = tx.rowcount == 1
            row = tx.query(
                "SELECT sealed_secret, last_step, failures, retry_step FROM api_token_totp "
                "WHERE token_id = %s",
                (token_id,),
            )
            if not row:
                return CodeCheck.INVALID
            if not counted:
                wait_until = max(row[0]["retry_step"], current + 1) * totp.STEP_SECONDS
                raise CodesThrottled(max(1, math.ceil(wait_until - moment)))
            secret = self._key(create=False).open(row[0]["sealed_secret"], token_id)
            steps = totp.matching_steps(secret, code, moment)
            fresh = [step for step in steps if step > row[0]["last_step"]]
            if fresh:
                tx.execute(
                    "UPDATE api_token_totp SET last_step = %s, failures = 0 WHERE token_id = %s",
                    (fresh[0], token_id),
                )
                return CodeCheck.ACCEPTED
            if steps:
                return CodeCheck.REPLAYED
            failures = row[0]["failures"] + 1
            doublings = min(max(failures - FREE_FAILURES, 0), MAX_WAIT_STEPS.bit_length() - 1)
            wait = 2**doublings
            tx.execute(
                "UPDATE api_token_totp SET failures = %s, retry_step = %s WHERE token_id = %s",
                (failures, current + wait if failures >= FREE_FAILURES else -1, token_id),
            )
            return CodeCheck.INVALID

    def _key(self, *, create: bool) -> TotpKey:
        # Loaded when first needed: a process that never meets a second factor needs no key.
        if self._totp_key is None:
            path = self.totp_key_path
            self._totp_key = TotpKey.load_or_create(path) if create else TotpKey.load(path)
        return self._totp_key

    def revoke(self, token_or_id: str) -> bool:
        self._cache.clear()
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE api_token SET revoked_at = %s WHERE (token_id = %s OR token_hash = %s) "
                "AND revoked_at IS NULL",
                (datetime.now(UTC).isoformat(), token_or_id, token_hash(token_or_id)),
            )
            return tx.rowcount > 0

    def list(self) -> list[dict[str, Any]]:
        """Every token, and whether it has a second factor (never a secret)."""
        return self.db.query(
            "SELECT t.token_id, t.role, t.scope, t.contest, t.candidate, t.name, t.created_at, "
            "t.revoked_at, CASE WHEN o.token_id IS NULL THEN NULL ELSE 'totp' END "
            "AS second_factor FROM api_token t "
            "LEFT JOIN api_token_totp o ON o.token_id = t.token_id ORDER BY t.created_at"
        )
