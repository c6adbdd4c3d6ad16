"""Bearer tokens: issued once by the CLI, stored only as their SHA-256, revocable."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from domain.access import Actor, make_actor
from service.store.db import Database

PREFIX = "rk_"
CACHE_SECONDS = 5.0
CACHE_SIZE = 10_000


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: dict[str, tuple[Actor, float]] = {}

    def create_table(self) -> None:
        self.db.execute_script(
            [
                "CREATE TABLE IF NOT EXISTS api_token (token_hash TEXT PRIMARY KEY, "
                "token_id TEXT NOT NULL UNIQUE, role TEXT NOT NULL, scope TEXT, contest TEXT, "
                "candidate INTEGER, name TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT)"
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
        token_id = "t_" + secrets.token_hex(6)
        actor = make_actor(token_id, role, scope, contest, candidate, name)
        token = PREFIX + secrets.token_urlsafe(32)
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO api_token (token_hash, token_id, role, scope, contest, candidate, "
                "name, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    token_hash(token),
                    token_id,
                    actor.role.value,
                    actor.scope,
                    actor.contest,
                    actor.candidate,
                    name,
                    datetime.now(UTC).isoformat(),
                ),
            )
        return token, actor

    def actor_for(self, token: str) -> Actor | None:
        """The actor of a valid, unrevoked token; None otherwise.

        A known token is remembered for CACHE_SECONDS, so a busy client costs one lookup per
        few seconds rather than one per request; a revocation takes effect within that time in
        every process (at once in the one that revoked it).
        """
        digest = token_hash(token)
        cached = self._cache.get(digest)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        actor = self._lookup(digest)
        if actor is not None:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[digest] = (actor, time.monotonic() + CACHE_SECONDS)
        return actor

    def _lookup(self, digest: str) -> Actor | None:
        rows = self.db.query(
            "SELECT token_id, role, scope, contest, candidate, name FROM api_token "
            "WHERE token_hash = %s AND revoked_at IS NULL",
            (digest,),
        )
        if not rows:
            return None
        r = rows[0]
        return make_actor(
            r["token_id"], r["role"], r["scope"], r["contest"], r["candidate"], r["name"]
        )

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
        return self.db.query(
            "SELECT token_id, role, scope, contest, candidate, name, created_at, revoked_at "
            "FROM api_token ORDER BY created_at"
        )
