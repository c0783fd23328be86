"""The households' caches: what the applications keep in memory between
batches, behind one small interface, and their tuning in one place.

A cache holds households by id (the write model for ingestion, the read
model for followers). ``BoundedCache`` keeps the most recent ones as
objects; ``PackedCache`` also keeps compact copies (bytes) of the ones
pushed out, so that a county many times the objects' number stays in
memory. Both are bounded by bytes: the objects by a budget reckoned from
samples of their compact size, the copies by their own budget.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Any, Protocol
from uuid import UUID


@dataclass(frozen=True)
class CacheSettings:
    """A cache's sizes; the rest is tuning that holds for every cache."""

    objects: int = 20_000  # households kept as objects at most
    objects_bytes: int = 64 << 20  # what the objects may hold in all
    spill_bytes: int = 0  # what the compact copies may hold (PackedCache)
    # Objects kept once the compact tier holds as many households as
    # ``objects`` (a county at least twice that): a household then comes back
    # after about a month of others, so the objects' tier almost never hits,
    # and fewer objects leave more memory to the copies.
    spilling_objects: int | None = None

    # An object holds about this many times its compact copy (households
    # after a month to four years of facts), and it grows with its stream:
    # the objects' budget is reckoned from the newest objects' copies.
    expansion: int = 10
    min_objects: int = 1_000  # never fewer objects than this, whatever the budget
    resize_every: int = 4_096  # admissions between two reckonings
    sample: int = 16  # objects packed for one reckoning
    # Bytes a compact copy costs besides itself (its header, its share of
    # its bucket and of the allocator's slack), and those of a typical copy
    # (to size the buckets).
    entry_bytes: int = 50
    typical_bytes: int = 120

    @classmethod
    def shares(cls, total_mb: int, roles: Iterable[str], **sizes: Any) -> dict[str, CacheSettings]:
        """A process's compact copies' budget, shared equally between its roles."""
        roles = list(roles)
        spill = total_mb * 2**20 // max(len(roles), 1)
        return {role: cls(spill_bytes=spill, **sizes) for role in roles}


class HouseholdCache(Protocol):
    """What an application asks of its cache.

    ``complete`` is the owner's claim that the cache holds every household
    of its scope that the store has (``claim_complete``); the cache withdraws
    it whenever it lets one go, and the owner reads the store when it is not."""

    @property
    def complete(self) -> bool: ...

    def claim_complete(self) -> None: ...

    def get(self, key: UUID) -> Any | None: ...

    def take(self, key: UUID) -> Any | None:
        """As ``get``, but the household leaves the cache until it is ``put``."""
        ...

    def put(self, key: UUID, value: Any) -> None: ...

    def put_many(self, pairs: Iterable[tuple[UUID, Any]]) -> None:
        """As ``put`` for each, in order (a batch's households at once)."""
        ...

    def forget(self, keys: Iterable[UUID]) -> None: ...

    def clear(self) -> None: ...

    def __len__(self) -> int: ...


Pack = Callable[[Any], bytes | None]
Unpack = Callable[[UUID, bytes], Any]


class BoundedCache:
    """Least recently used households as objects, at most
    ``settings.objects`` of them and, given ``pack`` to measure them, no more
    than ``settings.objects_bytes`` reckon to hold. Keys are UUIDs, held as
    their integers (a UUID's hash is a Python-level call)."""

    def __init__(self, settings: CacheSettings, pack: Pack | None = None) -> None:
        self.settings = settings
        self.pack = pack
        self.items: OrderedDict[int, Any] = OrderedDict()
        self.size = self.base_size = self.cap = settings.objects
        self.admitted = 0
        self._complete = False

    @property
    def complete(self) -> bool:
        return self._complete

    def claim_complete(self) -> None:
        self._complete = True

    def get(self, key: UUID) -> Any | None:
        k = key.int
        item = self.items.get(k)
        if item is not None:
            self.items.move_to_end(k)
        return item

    def take(self, key: UUID) -> Any | None:
        # Until it is back the cache lacks it: the claim to completeness goes.
        self._complete = False
        return self.items.pop(key.int, None)

    def put(self, key: UUID, value: Any) -> None:
        k = key.int
        items = self.items
        if k in items:
            items.move_to_end(k)
        items[k] = value
        self._admit()

    def put_many(self, pairs: Iterable[tuple[UUID, Any]]) -> None:
        items, n = self.items, 0
        for key, value in pairs:
            k = key.int
            if k in items:
                items.move_to_end(k)
            items[k] = value
            n += 1
        self._admit(n)

    def forget(self, keys: Iterable[UUID]) -> None:
        self._complete = False
        for key in keys:
            self.items.pop(key.int, None)

    def clear(self) -> None:
        self.items.clear()
        self.size = self.base_size = self.cap = self.settings.objects
        self.admitted = 0
        self._complete = False

    def __len__(self) -> int:
        return len(self.items)

    def _admit(self, n: int = 1) -> None:
        self.admitted += n
        if self.admitted >= self.settings.resize_every and self.pack is not None:
            self._resize()
        if len(self.items) > self.size:
            self._spill()

    def _resize(self) -> None:
        """Sets how many objects the budget holds, from the compact sizes of
        the newest ones (their streams are as long as any)."""
        self.admitted = 0
        s = self.settings
        newest = islice(reversed(self.items.values()), s.sample)
        sizes = [len(p) for p in map(self.pack, newest) if p is not None]  # type: ignore[arg-type]
        if sizes:
            per = s.expansion * max(1, sum(sizes) // len(sizes))
            self.cap = max(s.min_objects, s.objects_bytes // per)
            self.size = min(self.base_size, self.cap)

    def _spill(self) -> None:
        """Lets the oldest objects go past the size."""
        while len(self.items) > self.size:
            self.items.popitem(last=False)
            self._complete = False


class PackedCache(BoundedCache):
    """A ``BoundedCache`` whose objects, pushed out, are kept as compact
    copies (``pack``, ``unpack``) up to ``settings.spill_bytes``.

    The compact tier keeps what it holds and admits no more once full (it
    does not evict): a monthly dump touches every household once, in the
    same order each time, and least-recently-used eviction would drop each
    household just before its turn came round again."""

    def __init__(self, settings: CacheSettings, pack: Pack, unpack: Unpack) -> None:
        super().__init__(settings, pack)
        self.unpack = unpack
        self.spilled = PackedTier()
        objects = settings.objects
        spilling = settings.spilling_objects
        self.spilling_size = objects if spilling is None else min(objects, spilling)

    @property
    def spilled_bytes(self) -> int:
        """What the compact tier holds, as charged to the budget."""
        tier = self.spilled
        return tier.nbytes + tier.count * (self.settings.entry_bytes - PackedTier.HEADER)

    def get(self, key: UUID) -> Any | None:
        k = key.int
        items = self.items
        item = items.get(k)
        if item is not None:
            items.move_to_end(k)
            return item
        packed = self.spilled.pop(k)
        if packed is not None:
            item = items[k] = self.unpack(key, packed)
            self._admit()
        return item

    def take(self, key: UUID) -> Any | None:
        # Making no room for it: a batch that takes as many households as the
        # objects' tier holds would otherwise push out, pack, and then find
        # stale among the compact copies, households it has just taken.
        self._complete = False
        k = key.int
        item = self.items.pop(k, None)
        if item is None:
            packed = self.spilled.pop(k)
            if packed is not None:
                item = self.unpack(key, packed)
        return item

    def put(self, key: UUID, value: Any) -> None:
        k = key.int
        items = self.items
        if k in items:
            items.move_to_end(k)
        elif self.spilled.count:
            self.spilled.pop(k)  # a stale compact copy must never come back
        items[k] = value
        self._admit()

    def put_many(self, pairs: Iterable[tuple[UUID, Any]]) -> None:
        items, spilled, n = self.items, self.spilled, 0
        for key, value in pairs:
            k = key.int
            if k in items:
                items.move_to_end(k)
            elif spilled.count:
                spilled.pop(k)  # a stale compact copy must never come back
            items[k] = value
            n += 1
        self._admit(n)

    def _spill(self) -> None:
        """Pushes the oldest objects out past the size, packed while the
        budget lasts (``spilled_bytes``, reckoned here without the call)."""
        items, spilled, s = self.items, self.spilled, self.settings
        extra, budget = s.entry_bytes - PackedTier.HEADER, s.spill_bytes
        while len(items) > self.size:
            k, old = items.popitem(last=False)
            if spilled.nbytes + spilled.count * extra < budget:
                packed = self.pack(old)  # type: ignore[misc]
                if packed is not None:
                    if not spilled.buckets:
                        spilled.size_for(budget, s.typical_bytes + s.entry_bytes)
                    if spilled.add(k, packed):
                        if self.base_size != self.spilling_size and spilled.count >= s.objects:
                            self.base_size = self.spilling_size
                            self.size = min(self.base_size, self.cap)
                        continue
            self._complete = False  # let go

    def forget(self, keys: Iterable[UUID]) -> None:
        self._complete = False
        for key in keys:
            k = key.int
            self.items.pop(k, None)
            self.spilled.pop(k)

    def clear(self) -> None:
        super().clear()
        self.spilled.clear()

    def __len__(self) -> int:
        return len(self.items) + len(self.spilled)


class PackedTier:
    """Compact copies (bytes) of households by id, held in buckets: each
    bucket one bytes object of entries (16-byte id, 2-byte length, the copy),
    so that an entry costs little more than its copy (a dict of one bytes
    object per entry costs a slot, an int and an object header besides). The
    buckets are as many as the budget needs for about two entries each, fixed
    at the first ``add``: small buckets stay within the interpreter's
    small-object allocator.

    Ids are given as their 128-bit integers (``UUID.int``)."""

    HEADER = 18  # id and length
    PER_BUCKET = 2  # entries a bucket holds when the budget is spent

    def __init__(self) -> None:
        self.buckets: list[bytes | None] = []
        self.mask = 0
        self.count = 0
        self.nbytes = 0  # copies and headers

    def size_for(self, budget: int, entry: int) -> None:
        """Sets the buckets for a budget of ``budget`` bytes of entries of
        about ``entry`` bytes (before the first ``add``)."""
        n = 1024
        while n * self.PER_BUCKET * entry < budget:
            n *= 2
        self.buckets, self.mask = [None] * n, n - 1

    def _find(self, bucket: bytes, kb: bytes) -> tuple[int, int]:
        """Offset and end of the entry for ``kb`` in a bucket, or (-1, -1)."""
        if bucket.startswith(kb):  # the usual hit: a bucket holds one or two
            return 0, self.HEADER + (bucket[16] << 8 | bucket[17])
        if bucket.find(kb) < 0:  # the usual miss, at C speed
            return -1, -1
        i, n = 0, len(bucket)
        while i < n:  # walk the entries: a copy's bytes may contain the id
            end = i + self.HEADER + (bucket[i + 16] << 8 | bucket[i + 17])
            if bucket[i : i + 16] == kb:
                return i, end
            i = end
        return -1, -1

    def add(self, key: int, packed: bytes) -> bool:
        """Keeps a copy of an aggregate the tier does not hold; False when
        the copy is too long for an entry (it is not kept)."""
        n = len(packed)
        if n > 0xFFFF:
            return False
        if not self.buckets:
            self.size_for(0, 1)  # a tier used on its own
        slot = key & self.mask
        # The id and the length as one big-endian number: one conversion.
        entry = (key << 16 | n).to_bytes(self.HEADER, "big") + packed
        bucket = self.buckets[slot]
        self.buckets[slot] = entry if bucket is None else bucket + entry
        self.count += 1
        self.nbytes += self.HEADER + n
        return True

    def pop(self, key: int) -> bytes | None:
        """Takes out the copy of an aggregate, if the tier holds one."""
        if not self.count:
            return None
        slot = key & self.mask
        bucket = self.buckets[slot]
        if bucket is None:
            return None
        i, end = self._find(bucket, key.to_bytes(16, "big"))
        if i < 0:
            return None
        # One slice where the entry stands alone or at an end (the usual case,
        # about two entries a bucket), two and a join where it stands between.
        if i == 0:
            rest = bucket[end:]
        elif end == len(bucket):
            rest = bucket[:i]
        else:
            rest = bucket[:i] + bucket[end:]
        self.buckets[slot] = rest or None
        self.count -= 1
        self.nbytes -= end - i
        return bucket[i + self.HEADER : end]

    def __contains__(self, key: int) -> bool:
        if not self.count:
            return False
        bucket = self.buckets[key & self.mask]
        return bucket is not None and self._find(bucket, key.to_bytes(16, "big"))[0] >= 0

    def __len__(self) -> int:
        return self.count

    def clear(self) -> None:
        self.buckets, self.mask, self.count, self.nbytes = [], 0, 0, 0
