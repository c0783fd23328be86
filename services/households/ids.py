"""Households' ids, made fast: ingestion makes one for nearly every message.

``household_id(code)`` is ``Household.create_id(code)`` (a test holds them
equal): the uuid5 of the code, with the hash of the common prefix taken once
and the UUID's two slots set at once rather than through its checking
constructor."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from uuid import NAMESPACE_URL, UUID, SafeUUID

_PREFIX = hashlib.sha1(NAMESPACE_URL.bytes + b"/povwatch/households/")
_KEEP = ~((0xC000 << 48) | (0xF000 << 64)) & ((1 << 128) - 1)
_SET = (0x8000 << 48) | (5 << 76)  # RFC 4122 variant, version 5
# The slots' own setters: object.__setattr__ would look each name up.
_SET_INT, _SET_SAFE = UUID.int.__set__, UUID.is_safe.__set__  # type: ignore[attr-defined]


def make_id(code: str) -> UUID:
    h = _PREFIX.copy()
    h.update(code.encode())
    uid = object.__new__(UUID)
    _SET_INT(uid, int.from_bytes(h.digest()[:16]) & _KEEP | _SET)
    _SET_SAFE(uid, SafeUUID.unknown)
    return uid


@lru_cache(maxsize=20_000)  # about as many as the households kept as objects
def household_id(code: str) -> UUID:
    return make_id(code)
