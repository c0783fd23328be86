"""Reading many households' streams in one query, as their read model.

The library's repository loads one aggregate per query; a consumer that
handles a poll of hundreds of households at once reads them all in one, and
a follower advances the fact sheets it keeps by the events the store's
notifications carry (``domain.facts``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder
from psycopg.sql import SQL, Identifier

from domain.facts import FactSheet, apply, fold
from services.households.cache import HouseholdCache

CHUNK = 900  # SQLite's parameter limit is 999


def load_many(
    app: Application[UUID], ids: Iterable[UUID], decoded: dict[tuple[UUID, int], Any] | None = None
) -> dict[UUID, FactSheet]:
    """The fact sheet of each household that has a stream among ``ids``;
    ``decoded`` holds events the caller has already decoded, by (id, version)."""
    decoded = decoded or {}
    streams: dict[UUID, list[Any]] = defaultdict(list)
    for oid, version, topic, state in _rows(app, ids):
        event = decoded.get((oid, version))
        if event is None:
            event = app.mapper.to_domain_event(StoredEvent(oid, version, topic, bytes(state)))
        streams[oid].append(event)
    return {oid: fold(events) for oid, events in streams.items()}  # type: ignore[misc]


def load_streams(app: Application[UUID], ids: Iterable[UUID]) -> dict[UUID, list[Any]]:
    """The stored domain events of each of these households that has a
    stream, oldest first, read in one query (a page of households as of a date)."""
    streams: dict[UUID, list[Any]] = defaultdict(list)
    for oid, version, topic, state in _rows(app, ids):
        streams[oid].append(
            app.mapper.to_domain_event(StoredEvent(oid, version, topic, bytes(state)))
        )
    return dict(streams)


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


def replay(
    app: Application[UUID], upto: int, lo: UUID | None = None, hi: UUID | None = None
) -> Iterator[tuple[FactSheet, int]]:
    """Every household's fact sheet as of notification ``upto``, one at a time, with how
    many events made it: the whole store read once, in key order (a rebuild
    assesses each aggregate once, not once per event). ``lo`` and ``hi``
    bound the ids (``lo`` included), so that parts can replay in parallel."""
    current: UUID | None = None
    events: list[Any] = []
    for originator_id, version, topic, state in _stream(app.recorder, upto, lo, hi):
        oid = originator_id if isinstance(originator_id, UUID) else UUID(originator_id)
        if oid != current and events:
            yield fold(events), len(events)  # type: ignore[misc]
            events = []
        current = oid
        events.append(app.mapper.to_domain_event(StoredEvent(oid, version, topic, bytes(state))))
    if events:
        yield fold(events), len(events)  # type: ignore[misc]


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


def advance(
    app: Application[UUID], cache: HouseholdCache, notes: Iterable[Any]
) -> dict[UUID, FactSheet]:
    """Brings the cached fact sheets of these notifications' households up
    to date by applying the events the notifications carry, reading from the
    store only the households the cache lacks or whose sheet is behind (in
    one query). Returns the touched ones, which go back to the cache as the
    most recent (taken out meanwhile: a batch's own households never push
    each other out)."""
    touched: dict[UUID, FactSheet] = {}
    pending: list[Any] = []
    for note in notes:
        event = app.mapper.to_domain_event(note)
        oid = event.originator_id
        sheet = touched.get(oid) or cache.take(oid)
        if sheet is None:
            if event.originator_version == 1:
                touched[oid] = apply(None, event)
            else:
                pending.append(event)
            continue
        if event.originator_version == sheet.version + 1:
            touched[oid] = apply(sheet, event)
        elif event.originator_version > sheet.version:
            pending.append(event)  # a gap: read it from the store
        else:
            touched[oid] = sheet  # already applied
    if pending:
        loaded = load_many(
            app,
            (e.originator_id for e in pending),
            {(e.originator_id, e.originator_version): e for e in pending},
        )
        touched.update(loaded)
    cache.put_many(touched.items())
    return touched
