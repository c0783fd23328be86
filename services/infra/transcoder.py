"""The library's JSON transcoder, writing with orjson.

Storing an event is mostly turning its state into JSON, and the library's
encoder (the standard ``json`` module) calls back into Python for each date,
datetime, Decimal and FactRef. orjson writes the same bytes -- compact separators, UTF-8, keys in
order, and every type it does not know handed to the same ``_encode_obj`` as
``{"_type_": ..., "_data_": ...}`` -- so stored events read back with the
library's decoder and stores written either way mix freely.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder, Transcoding

# Dates and dataclasses go through the registered transcodings, as in the
# library, not orjson's own formats.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class OrjsonTranscoder(JSONTranscoder):
    def encode(self, obj: Any) -> bytes:
        try:
            return orjson.dumps(obj, default=self._encode_obj, option=_OPTIONS)
        except orjson.JSONEncodeError:
            # What orjson refuses and json takes (integers past 64 bits, keys
            # that are not strings) or fails on in its own way: the library's
            # own encoder decides.
            return super().encode(obj)


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)
