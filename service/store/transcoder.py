"""The library's JSON transcoder, with a fast way back for events that hold no custom types.

The library decodes every stored event with an object hook called on each JSON object, to turn
`{"_type_": ..., "_data_": ...}` back into UUIDs, datetimes and decimals. rekap's events carry
one such value, the event's own timestamp, so most of that work finds nothing: when the stored
bytes name `"_type_"` once and it is the timestamp's, the state is read by the C decoder with no
hook and the timestamp converted by hand. Anything else goes the library's way. The bytes
written are the library's own, unchanged.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from eventsourcing.persistence import JSONTranscoder

from domain.errors import InvalidInput

TYPE_KEY = b'"_type_"'
ESCAPED_NUL = b"\\u0000"
# \u0000 as JSON writes a NUL, not a backslash of the text followed by "u0000"
NUL_IN_JSON = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_loads = json.JSONDecoder().decode


class EventTranscoder(JSONTranscoder):
    def encode(self, obj: Any) -> bytes:
        """The library's bytes, refused when the read models could not hold them.

        The edge refuses such text (service/input/strict_json.py); this is the last guard before the
        log, where an event is forever and a projection that cannot apply it stops.
        """
        try:
            data = super().encode(obj)
        except UnicodeEncodeError:
            raise InvalidInput("an event cannot hold a lone surrogate: it is not text") from None
        if ESCAPED_NUL in data and NUL_IN_JSON.search(data):
            raise InvalidInput("an event cannot hold a NUL character")
        return data

    def decode(self, data: bytes) -> Any:
        typed = data.count(TYPE_KEY)
        if typed <= 1:
            state = _loads(data.decode("utf8"))
            if typed == 0:
                return state
            moment = state.get("timestamp") if isinstance(state, dict) else None
            if (
                isinstance(moment, dict)
                and len(moment) == 2
                and moment.get("_type_") == "datetime_iso"
                and isinstance(moment.get("_data_"), str)
            ):
                state["timestamp"] = datetime.fromisoformat(moment["_data_"])
                return state
        return super().decode(data)
