"""The compact form of a stream head: a ``Household`` aggregate (the write
model: code, version, receipts' fingerprints) as the ingesting process keeps
the households pushed out of its cache's objects
(``services.households.cache``), and its revival for deciding on new facts.
"""

from __future__ import annotations

import hashlib
import marshal
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Snapshot
from eventsourcing.utils import get_topic

from domain.household import Household

_HOUSEHOLD_TOPIC = get_topic(Household)


class DigestNotKept(LookupError):
    """A packed head knows a key only by its fingerprint: whether the fact is
    a re-delivery or a conflict is for the stored receipts to tell."""


FINGERPRINT = 4  # bytes of a key's hash a packed head keeps for each receipt


class Receipts:
    """An unpacked household's receipts, read and written by key as the plain
    dict (``Household.receive`` does both: this is a ``ReceiptBook``).
    Receipts recorded since unpacking are held as the key's 16-byte hash and
    the digest; packed ones only as a 4-byte fingerprint of the key, searched
    in place, so that unpacking a household costs the same after a year of
    receipts as after a month, and its receipts take a few bytes each.

    A key whose fingerprint is not among the packed ones is new: the usual
    case, decided here. One whose fingerprint is (a re-delivery, or one chance
    in 2**32 for each receipt of a new key's sharing it) has no digest here
    to compare: ``forgets`` says so before deciding, and ``get`` raises
    ``DigestNotKept``; the ingester then reads the head from the store
    (``Households.stage``)."""

    __slots__ = ("packed", "added", "last_key", "last_token")

    def __init__(self, packed: bytes = b"") -> None:
        self.packed = packed  # fingerprints, FINGERPRINT bytes each
        self.added: dict[bytes, str] = {}  # key hash -> digest, since unpacking
        # The key last looked up and its hash: a new fact is looked up, then set.
        self.last_key, self.last_token = "", b""

    def _token(self, key: str) -> bytes:
        if key != self.last_key:
            self.last_token, self.last_key = _token(key), key
        return self.last_token

    def forgets(self, key: str) -> bool:
        """True when deciding on ``key`` needs the stored receipts."""
        token = self._token(key)
        return token not in self.added and _holds(self.packed, token[:FINGERPRINT])

    def get(self, key: str, default: str | None = None) -> str | None:
        token = self._token(key)
        digest = self.added.get(token)
        if digest is not None:
            return digest
        if _holds(self.packed, token[:FINGERPRINT]):
            raise DigestNotKept(key)
        return default

    def __setitem__(self, key: str, digest: str) -> None:
        self.added[self._token(key)] = digest


def settle(household: Household) -> None:
    """Keeps a committed household's receipts as fingerprints, as packing
    would: one kept as an object then costs a fingerprint a receipt too, not
    a key and a digest as strings in a dict, and its size stays near what
    the cache's budget reckons from its compact copy. A later
    re-delivery of one of its facts is decided from the store."""
    household.receipts = Receipts(_fingerprints(household.receipts))


def revive(key: UUID, code: str, version: int, receipts: Receipts | dict[str, str]) -> Household:
    """A household's write model at ``version``, from what deciding needs
    (no event is replayed). Its times are not kept: the read model carries
    them.

    Built as the library's ``Snapshot.mutate`` builds an aggregate from a
    snapshot's state (``snapshot_of`` makes that snapshot; a test holds the
    two equal), without making the snapshot event and resolving its topic:
    in a county larger than the objects' tier, a head is revived for nearly
    every fact, and the snapshot took two thirds of that."""
    household = object.__new__(Household)
    state = {
        "code": code,
        "receipts": receipts,
        "_created_on": None,
        "_modified_on": None,
        "_id": key,
        "_version": version,
        "_pending_events": [],
    }
    object.__setattr__(household, "__dict__", state)
    return household


def snapshot_of(
    key: UUID, code: str, version: int, receipts: Receipts | dict[str, str]
) -> Snapshot:
    """The library's snapshot of the household ``revive`` makes."""
    state = {"code": code, "receipts": receipts, "_created_on": None, "_modified_on": None}
    return Snapshot(
        originator_id=key,
        originator_version=version,
        timestamp=_NO_TIME,
        topic=_HOUSEHOLD_TOPIC,
        state=state,
    )


_NO_TIME = datetime(1970, 1, 1, tzinfo=UTC)  # a snapshot's own time: never stored nor read


def _fingerprints(receipts: Any) -> bytes:
    if isinstance(receipts, Receipts):
        return receipts.packed + b"".join(token[:FINGERPRINT] for token in receipts.added)
    return b"".join(_token(key)[:FINGERPRINT] for key in receipts)


def _holds(packed: bytes, fingerprint: bytes) -> bool:
    i = packed.find(fingerprint)
    while i >= 0 and i % FINGERPRINT:  # found across two entries: look on
        i = packed.find(fingerprint, i + 1)
    return i >= 0


def pack_head(household: Household) -> bytes | None:
    """A household with nothing pending, as bytes: its code, version and
    receipts' fingerprints (None: something not stored yet, not to keep)."""
    if household.pending_events:
        return None
    return marshal.dumps((household.code, household.version, _fingerprints(household.receipts)))


def unpack_head(key: UUID, data: bytes) -> Household:
    code, version, packed = marshal.loads(data)
    return revive(key, code, version, Receipts(packed))


def _token(key: str) -> bytes:
    # A 128-bit hash, as the stores' own ids are: two keys of one household
    # colliding is as likely as two households' ids colliding.
    return hashlib.blake2b(key.encode(), digest_size=16).digest()
