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
from datetime import datetime
from typing import Any

from eventsourcing.persistence import JSONTranscoder

TYPE_KEY = b'"_type_"'
_loads = json.JSONDecoder().decode


class EventTranscoder(JSONTranscoder):
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
