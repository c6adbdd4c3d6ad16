"""The HTTP baselines, served by gunicorn with rekap's own settings (api/gunicorn_conf.py).

minimal: a Flask POST endpoint that parses the JSON body and answers 201 (the HTTP ceiling).
plain:   Flask + psycopg that INSERTs the form into a table, what a team would build without
         event sourcing (same URL, same body, a pool per worker created after the fork).
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from flask import Flask, jsonify, request
from psycopg_pool import ConnectionPool

PATH = "/api/v1/elections/<eid>/contests/<cid>/tps/<tps>/submissions"

minimal = Flask("minimal")


@minimal.post(PATH)
def minimal_submit(eid: str, cid: str, tps: str) -> Any:
    body = request.get_json()
    return jsonify({"tps": tps, "submission_id": body["submission_id"]}), 201


plain = Flask("plain")
_pool: ConnectionPool | None = None
_lock = threading.Lock()


def _connections() -> ConnectionPool:
    global _pool
    with _lock:
        if _pool is None:
            size = int(os.environ.get("REKAP_THREADS", "4"))
            _pool = ConnectionPool(os.environ["BENCH_PLAIN_DSN"], min_size=size, max_size=size)
        return _pool


@plain.post(PATH)
def plain_submit(eid: str, cid: str, tps: str) -> Any:
    body = request.get_json()
    with _connections().connection() as conn:
        row = conn.execute(
            "INSERT INTO plain_submission (election_id, contest_id, tps, submission_id, form) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id",
            (eid, cid, tps, body["submission_id"], json.dumps(body["form"])),
        ).fetchone()
    return jsonify({"tps": tps, "id": row[0] if row else None}), 201 if row else 200


PLAIN_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS plain_submission (id BIGSERIAL PRIMARY KEY, "
    "election_id TEXT NOT NULL, contest_id TEXT NOT NULL, tps TEXT NOT NULL, "
    "submission_id TEXT NOT NULL, form JSONB NOT NULL, "
    "received_at TIMESTAMPTZ NOT NULL DEFAULT now(), UNIQUE (election_id, contest_id, tps))"
)
