"""Loading many aggregates in one query, and a bounded cache of them.

The library's repository loads one aggregate per query; a consumer that
handles a poll of hundreds of households at once reads them all in one."""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder
from psycopg.sql import SQL, Identifier

CHUNK = 900  # SQLite's parameter limit is 999


def load_many(
    app: Application[UUID], ids: Iterable[UUID], decoded: dict[tuple[UUID, int], Any] | None = None
) -> dict[UUID, Any]:
    """The current state of each aggregate that exists among ``ids``;
    ``decoded`` holds events the caller has already decoded, by (id, version)."""
    decoded = decoded or {}
    streams: dict[UUID, list[Any]] = defaultdict(list)
    for oid, version, topic, state in _rows(app, ids):
        event = decoded.get((oid, version))
        if event is None:
            event = app.mapper.to_domain_event(StoredEvent(oid, version, topic, bytes(state)))
        streams[oid].append(event)
    return {oid: fold(events) for oid, events in streams.items()}


def raw_states(
    app: Application[UUID], ids: Iterable[UUID]
) -> Iterator[tuple[UUID, int, dict[str, Any]]]:
    """Each stored event of these aggregates as (id, version, state), the
    state as plain JSON: no domain event objects and no transcodings, for a
    reader that needs a field or two of each event, not the aggregate.
    (orjson reads integers past 64 bits as floats: fine for strings such as
    a receipt, not for decoding whole events.)"""
    mapper = app.mapper
    for oid, version, _topic, state in _rows(app, ids):
        state = bytes(state)
        if mapper.cipher:
            state = mapper.cipher.decrypt(state)
        if mapper.compressor:
            state = mapper.compressor.decompress(state)
        yield oid, version, orjson.loads(state)


def _rows(app: Application[UUID], ids: Iterable[UUID]) -> Iterator[tuple[UUID, int, str, Any]]:
    """The stored events of these aggregates, each aggregate's in version order."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return
    for originator_id, version, topic, state in _select(app.recorder, wanted):
        oid = originator_id if isinstance(originator_id, UUID) else UUID(originator_id)
        yield oid, version, topic, state


def fold(events: Iterable[Any]) -> Any:
    """An aggregate from its events: the library's ``project_aggregate``
    without its per-event ``isinstance`` check against a runtime protocol,
    which cost more than the mutations themselves (13% of ingestion)."""
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def replay(
    app: Application[UUID], upto: int, lo: UUID | None = None, hi: UUID | None = None
) -> Iterator[tuple[Any, int]]:
    """Every aggregate as of notification ``upto``, one at a time, with how
    many events made it: the whole store read once, in key order (a rebuild
    assesses each aggregate once, not once per event). ``lo`` and ``hi``
    bound the ids (``lo`` included), so that parts can replay in parallel."""
    current: UUID | None = None
    events: list[Any] = []
    for originator_id, version, topic, state in _stream(app.recorder, upto, lo, hi):
        oid = originator_id if isinstance(originator_id, UUID) else UUID(originator_id)
        if oid != current and events:
            yield fold(events), len(events)
            events = []
        current = oid
        events.append(app.mapper.to_domain_event(StoredEvent(oid, version, topic, bytes(state))))
    if events:
        yield fold(events), len(events)


def _stream(
    recorder: Any, upto: int, lo: UUID | None, hi: UUID | None
) -> Iterator[tuple[Any, int, str, bytes]]:
    if isinstance(recorder, PostgresAggregateRecorder):
        statement = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {0}.{1} "
            "WHERE notification_id <= %s AND (%s::uuid IS NULL OR originator_id >= %s::uuid) "
            "AND (%s::uuid IS NULL OR originator_id < %s::uuid) "
            "ORDER BY originator_id, originator_version"
        ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
        with recorder.datastore.transaction(commit=False) as curs:
            with curs.connection.cursor(name="povwatch_replay") as named:
                named.itersize = 5000
                named.execute(statement, (upto, lo, lo, hi, hi))
                for r in named:
                    yield r["originator_id"], r["originator_version"], r["topic"], r["state"]
        return
    if isinstance(recorder, SQLiteAggregateRecorder):
        with recorder.datastore.transaction(commit=False) as c:
            # Ids are stored as 32 hex digits: their text order is their number order.
            c.execute(
                f"SELECT originator_id, originator_version, topic, state FROM "
                f"{recorder.events_table_name} WHERE rowid <= ? "
                f"AND (? IS NULL OR originator_id >= ?) AND (? IS NULL OR originator_id < ?) "
                f"ORDER BY originator_id, originator_version",
                (upto, *[lo and lo.hex] * 2, *[hi and hi.hex] * 2),
            )
            for r in c.fetchall():
                yield r[0], r[1], r[2], r[3]
        return
    raise TypeError(f"cannot replay from {type(recorder).__name__}")


def _select(recorder: Any, ids: list[UUID]) -> list[tuple[Any, int, str, bytes]]:
    if isinstance(recorder, PostgresAggregateRecorder):
        statement = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {0}.{1} "
            "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
        ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
        with recorder.datastore.transaction(commit=False) as curs:
            curs.execute(statement, (ids,))
            return [
                (r["originator_id"], r["originator_version"], r["topic"], r["state"])
                for r in curs.fetchall()
            ]
    if isinstance(recorder, SQLiteAggregateRecorder):
        out = []
        with recorder.datastore.transaction(commit=False) as c:
            for i in range(0, len(ids), CHUNK):
                chunk = [u.hex for u in ids[i : i + CHUNK]]
                c.execute(
                    f"SELECT originator_id, originator_version, topic, state "
                    f"FROM {recorder.events_table_name} WHERE originator_id IN "
                    f"({','.join('?' * len(chunk))}) ORDER BY originator_id, originator_version",
                    chunk,
                )
                out.extend((r[0], r[1], r[2], r[3]) for r in c.fetchall())
        return out
    # Any other recorder (in-memory): one aggregate at a time.
    out = []
    for i in ids:
        for e in recorder.select_events(i):
            out.append((e.originator_id, e.originator_version, e.topic, e.state))
    return out


def advance(app: Application[UUID], cache: BoundedCache, notes: Iterable[Any]) -> dict[UUID, Any]:
    """Brings the cached aggregates of these notifications up to date by
    applying the events the notifications carry, reading from the store only
    the aggregates the cache lacks (in one query). Returns the touched ones,
    which go back to the cache as the most recent (taken out meanwhile: a
    batch's own households never push each other out)."""
    touched: dict[UUID, Any] = {}
    pending: list[Any] = []
    for note in notes:
        event = app.mapper.to_domain_event(note)
        aggregate = touched.get(event.originator_id) or cache.take(event.originator_id)
        if aggregate is None:
            if event.originator_version == 1:
                touched[event.originator_id] = event.mutate(None)
            else:
                pending.append(event)
            continue
        if event.originator_version == aggregate.version + 1:
            touched[event.originator_id] = event.mutate(aggregate)
        elif event.originator_version > aggregate.version:
            pending.append(event)  # a gap: read it from the store
        else:
            touched[event.originator_id] = aggregate  # already applied
    if pending:
        loaded = load_many(
            app,
            (e.originator_id for e in pending),
            {(e.originator_id, e.originator_version): e for e in pending},
        )
        touched.update(loaded)
    for aggregate_id, aggregate in touched.items():
        cache.put_back(aggregate_id, aggregate)
    return touched


class PackedTier:
    """Compact copies (bytes) of aggregates by id, held in buckets: each
    bucket one bytes object of entries (16-byte id, 2-byte length, the copy).
    A dict of a bytes object per entry cost 135 bytes an entry besides the
    copy (the dict's slot, the key's int, the object's header); in buckets
    an entry costs about 50, its header included. The buckets are as many
    as the budget needs for about two entries each, fixed at the first
    ``add`` (buckets of four to eight, past the interpreter's small-object
    allocator, left the C allocator more slack: about 60 bytes an entry).

    Ids are given as their 128-bit integers (``UUID.int``): a UUID's hash
    and bytes are Python-level calls, several a lookup."""

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
        if bucket.find(kb) < 0:  # the usual miss, at C speed
            return -1, -1
        i, n = 0, len(bucket)
        while i < n:  # walk the entries: a copy's bytes may contain the id
            end = i + self.HEADER + (bucket[i + 16] | bucket[i + 17] << 8)
            if bucket[i : i + 16] == kb:
                return i, end
            i = end
        return -1, -1

    def add(self, key: int, packed: bytes) -> bool:
        """Keeps a copy of an aggregate the tier does not hold; False when
        the copy is too long for an entry (it is not kept)."""
        if len(packed) > 0xFFFF:
            return False
        if not self.buckets:
            self.size_for(0, 1)  # a tier used on its own
        slot = key & self.mask
        entry = key.to_bytes(16, "big") + len(packed).to_bytes(2, "little") + packed
        bucket = self.buckets[slot]
        self.buckets[slot] = entry if bucket is None else bucket + entry
        self.count += 1
        self.nbytes += len(entry)
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


class BoundedCache:
    """Least recently used aggregates, at most ``size`` of them, and, given
    ``pack`` and ``unpack``, a second tier of compact copies (bytes) of the
    ones pushed out, up to ``spill_bytes`` in all.

    The second tier keeps what it holds and admits no more once full (it
    does not evict): a monthly dump touches every household once, in the
    same order each time, and least-recently-used eviction would drop each
    household just before its turn came round again.

    ``complete`` is the owner's claim that the cache holds every aggregate
    of its scope that the store has (see ``Households.stage``); the cache
    withdraws it whenever it lets one go.

    ``spilling_size``: the objects kept once the compact tier holds as many
    aggregates as ``size`` (a county at least twice the objects' tier). A
    household then comes back after about a month of others, so the
    objects' tier almost never hits (2% at five times its size); with
    fewer objects, a million-household run was a few percent faster and
    38 MB smaller.

    ``objects_bytes``: what the objects may hold in all. An object holds
    about ten times its compact copy (households measured at 9.5-10.5 times
    after one, 12 and 48 months of facts; stream heads, their receipts kept
    as fingerprints, 3 to 13 times), and it grows with its stream: 20,000
    households as objects take 34 MB after a month and 300 MB after four
    years. Every few thousand admissions the cache packs a sample of its
    newest objects and keeps no more of them than the budget holds (never
    fewer than MIN_OBJECTS); the rest go to the compact tier as before.

    Keys are UUIDs; both tiers hold them as their integers (see PackedTier)."""

    OBJECTS_BYTES = 64 << 20
    EXPANSION = 10  # an object's bytes over its compact copy's, rounded up
    MIN_OBJECTS = 1_000
    RESIZE_EVERY = 4_096  # admissions between two samples
    SAMPLE = 16

    # Bytes a spilled entry costs besides its copy: its header and its share
    # of its bucket's object and slot and of the allocator's slack (measured:
    # the resident set of a process spilling a million heads).
    ENTRY_BYTES = 50
    TYPICAL = 120  # bytes of a typical copy, to size the buckets

    def __init__(
        self,
        size: int,
        pack: Callable[[Any], bytes | None] | None = None,
        unpack: Callable[[UUID, bytes], Any] | None = None,
        spill_bytes: int = 0,
        spilling_size: int | None = None,
    ) -> None:
        self.full_size = self.size = self.base_size = self.cap = size
        self.spilling_size = size if spilling_size is None else min(size, spilling_size)
        self.objects_bytes = self.OBJECTS_BYTES
        self.admitted = 0
        self.items: OrderedDict[int, Any] = OrderedDict()
        self.pack, self.unpack = pack, unpack
        self.spill_bytes = spill_bytes if pack and unpack else 0
        self.spilled = PackedTier()
        self.complete = False

    @property
    def spilled_bytes(self) -> int:
        """What the compact tier holds, as charged to the budget."""
        return self.spilled.nbytes + self.spilled.count * (self.ENTRY_BYTES - PackedTier.HEADER)

    def get(self, key: UUID) -> Any | None:
        k = key.int
        items = self.items
        item = items.get(k)
        if item is not None:
            items.move_to_end(k)
            return item
        packed = self.spilled.pop(k)
        if packed is not None:
            item = items[k] = self.unpack(key, packed)  # type: ignore[misc]
            self._admit()
        return item

    def take(self, key: UUID) -> Any | None:
        """Takes an aggregate out (the caller puts it back): as ``get``, but
        making no room for it. A batch that takes as many households as the
        objects' tier holds would otherwise push out, pack, and then find
        stale among the compact copies, households it has just taken.
        Until it is back the cache lacks it, so the claim to completeness goes."""
        self.complete = False
        k = key.int
        item = self.items.pop(k, None)
        if item is None:
            packed = self.spilled.pop(k)
            if packed is not None:
                item = self.unpack(key, packed)  # type: ignore[misc]
        return item

    def put(self, key: UUID, value: Any) -> None:
        k = key.int
        items = self.items
        if k in items:
            items.move_to_end(k)
        else:
            self.spilled.pop(k)  # a stale compact copy must never come back
        items[k] = value
        self._admit()

    def put_back(self, key: UUID, value: Any) -> None:
        """As ``put``, for an aggregate the caller took out with ``take`` (or
        that ``take`` did not find): neither tier holds a copy of it, so there
        is none to look for and drop."""
        self.items[key.int] = value
        self._admit()

    def _admit(self) -> None:
        self.admitted += 1
        if self.admitted >= self.RESIZE_EVERY and self.spill_bytes:
            self._resize()
        if len(self.items) > self.size:
            self._spill()

    def _resize(self) -> None:
        """Sets how many objects the budget holds, from the compact sizes of
        the newest ones (their streams are as long as any)."""
        self.admitted = 0
        sizes = [
            len(p)
            for p in map(self.pack, islice(reversed(self.items.values()), self.SAMPLE))  # type: ignore[arg-type]
            if p is not None
        ]
        if sizes:
            per = self.EXPANSION * max(1, sum(sizes) // len(sizes))
            self.cap = max(self.MIN_OBJECTS, self.objects_bytes // per)
            self.size = min(self.base_size, self.cap)

    def _spill(self) -> None:
        """Pushes the oldest objects out past the size, packed while the
        budget lasts."""
        items, spilled = self.items, self.spilled
        while len(items) > self.size:
            k, old = items.popitem(last=False)
            if self.spill_bytes and self.spilled_bytes < self.spill_bytes:
                packed = self.pack(old)  # type: ignore[misc]
                if packed is not None:
                    if not spilled.buckets:
                        spilled.size_for(self.spill_bytes, self.TYPICAL + self.ENTRY_BYTES)
                    if spilled.add(k, packed):
                        if spilled.count >= self.full_size:
                            self.base_size = self.spilling_size
                            self.size = min(self.base_size, self.cap)
                        continue
            self.complete = False  # let go

    def discard(self, keys: Iterable[UUID]) -> None:
        self.complete = False
        for key in keys:
            k = key.int
            self.items.pop(k, None)
            self.spilled.pop(k)

    def clear(self) -> None:
        self.items.clear()
        self.spilled.clear()
        self.size = self.base_size = self.cap = self.full_size
        self.admitted = 0
        self.complete = False

    def __len__(self) -> int:
        return len(self.items) + len(self.spilled)
