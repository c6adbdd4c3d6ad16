"""The canonical bytes of one stored event: what a leaf of the audit tree commits to.

A leaf is ``leaf_hash(record_bytes(record))`` (SHA-256 of ``0x00`` and the bytes, RFC 6962),
where ``record`` is the JSON object::

    {"originator_id": "<uuid, lowercase 8-4-4-4-12>", "originator_version": <int>,
     "position": <log position, int>, "state": "<standard base64 of the stored state bytes>",
     "topic": "<the stored topic>"}

and its bytes are that object as JSON with keys sorted, no whitespace (separators ``,`` and
``:``), ASCII only (``ensure_ascii``), encoded as UTF-8. In Python::

    json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()

``state`` is the event exactly as the store keeps it (the library's JSON transcoding, not
re-encoded), so a changed byte anywhere in a stored event, a changed position (a moved or
swapped event) or a changed aggregate or version changes the leaf. Leaves are indexed
0..n-1 in log order; log positions may have gaps (a failed insert consumes an id), which is
why each leaf carries its position.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from service.audit.merkle import leaf_hash

RECORD_FIELDS = ("originator_id", "originator_version", "position", "state", "topic")


def leaf_record(
    position: int, originator_id: UUID | str, originator_version: int, topic: str, state: bytes
) -> dict[str, Any]:
    return {
        "originator_id": str(UUID(str(originator_id))),
        "originator_version": int(originator_version),
        "position": int(position),
        "state": base64.b64encode(state).decode("ascii"),
        "topic": topic,
    }


def record_of(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The leaf record of a raw stored event (as read by service.store.eventlog)."""
    return leaf_record(
        raw["position"], raw["originator_id"], raw["originator_version"], raw["topic"], raw["state"]
    )


def record_bytes(record: Mapping[str, Any]) -> bytes:
    fields = {k: record[k] for k in RECORD_FIELDS}
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return text.encode("utf-8")


def record_leaf_hash(record: Mapping[str, Any]) -> bytes:
    return leaf_hash(record_bytes(record))


def raw_leaf_hash(raw: Mapping[str, Any]) -> bytes:
    return record_leaf_hash(record_of(raw))


def check_record(record: Any) -> str | None:
    """Why `record` is not a well-formed leaf record, or None."""
    if not isinstance(record, dict):
        return "record must be an object"
    missing = [f for f in RECORD_FIELDS if f not in record]
    if missing:
        return f"record is missing {', '.join(missing)}"
    for name in ("originator_version", "position"):
        value = record[name]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return f"record {name} must be a non-negative integer"
    if not isinstance(record["topic"], str):
        return "record topic must be a string"
    try:
        UUID(str(record["originator_id"]))
        base64.b64decode(record["state"], validate=True)
    except (ValueError, binascii.Error, TypeError):
        return "record originator_id must be a UUID and state standard base64"
    return None


def state_of(record: Mapping[str, Any]) -> bytes:
    return base64.b64decode(record["state"], validate=True)
