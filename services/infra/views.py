"""Read models as tables of JSON documents with a few indexed columns, written
together with a tracking record of the store position they reflect (same
transaction), so a projection resumes exactly where it stopped. One
implementation per store; the tables differ only by their spec."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

import orjson
from eventsourcing.persistence import InfrastructureFactory, Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from eventsourcing.utils import Environment
from psycopg.sql import SQL, Composed, Identifier
from pydantic import BaseModel

from services.infra.viewtables import (
    postgres_columns,
    postgres_refill,
    postgres_table_statements,
    refilled,
)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Table(Generic[M]):
    name: str
    key: str
    columns: tuple[str, ...]  # filterable, taken from the document's fields
    model: type[M]
    order: str  # column to sort by
    sums: tuple[str, ...] = ()  # integer fields kept as columns, for totals()
    # Integer columns among ``sums`` computed from the document rather than
    # read from a field of it (a flag, a count). A table made before a sum
    # was added gains its column when opened (0 until rewritten, or ``refill``).
    derived: dict[str, Callable[[Any], int]] = field(
        default_factory=dict, hash=False, compare=False
    )
    # Fill the sums a table made before them lacks from its documents when
    # opened: rows not all rewritten soon (a closed case's), read once.
    refill: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return (self.key, *self.columns, *self.sums, "body")

    def sums_of(self, doc: M | Any, names: Iterable[str]) -> list[int]:
        return [int(self.derived[c](doc) if c in self.derived else getattr(doc, c)) for c in names]

    def row(self, doc: M | Any) -> tuple[Any, ...]:
        """A document's columns and body. The document is the model, or a
        dataclass with the model's fields in its order (what a projection
        computed): orjson writes that as the model would, without building
        the model first (validating and dumping it cost more than the rest
        of the row)."""
        values = [getattr(doc, c) for c in (self.key, *self.columns)]
        body = (
            doc.model_dump_json()
            if isinstance(doc, BaseModel)
            else orjson.dumps(doc, default=_decimal).decode()
        )
        return (
            *(None if v is None else str(v) for v in values),
            *self.sums_of(doc, self.sums),
            body,
        )


def _decimal(obj: Any) -> str:
    if isinstance(obj, Decimal):
        return str(obj)  # as pydantic writes a Decimal
    raise TypeError(f"{type(obj).__name__} is not a document field type")


# Rows whose order column is below a value, or (column, value): whose column is.
Below = str | tuple[str, str] | None

# Far past any page there is, and inside the stores' 64-bit integers.
MAX_OFFSET = 10**9


@dataclass(frozen=True)
class Page(Generic[M]):
    items: list[M]
    total: int


class DocumentView(TrackingRecorder, Generic[M]):
    table: Table[M]

    @abstractmethod
    def save(self, docs: list[M], tracking: Tracking | None) -> None:
        """Upserts documents and records the position they reflect, atomically."""

    @abstractmethod
    def get(self, key: str) -> M | None: ...

    @abstractmethod
    def search(
        self, limit: int = 50, offset: int = 0, before: Below = None, **filters: Any
    ) -> Page[M]:
        """Equality filters on the table's columns (None = any; a list or set:
        any of its values); ``before`` keeps rows whose order column (or the
        column it names) is below its value."""

    @abstractmethod
    def keys(self, after: str | None = None, limit: int = 500) -> list[str]:
        """Up to ``limit`` keys in key order, those above ``after``: a walk
        over the whole table that costs the same at its end as at its start
        (an offset costs as many rows as it skips)."""

    @abstractmethod
    def counts(
        self, *columns: str, before: Below = None, **filters: Any
    ) -> dict[tuple[str | None, ...], int]:
        """Rows by the values of ``columns``, of those ``search`` would find
        with the same filters (one grouped query, from the indexed columns)."""

    @abstractmethod
    def totals(self) -> dict[str, int]:
        """The sum of each of the table's integer columns over all rows."""

    @abstractmethod
    def clear(self, application_name: str) -> None:
        """Forgets every row and the position (before a rebuild)."""

    def _where(self, filters: dict[str, Any], before: Below, mark: str) -> tuple[str, list[Any]]:
        unknown = set(filters) - set(self.table.columns)
        if unknown:
            raise ValueError(f"unknown filter(s) {sorted(unknown)}")
        parts, params = [], []
        # No stored column holds a NUL (PostgreSQL refuses them in text, and
        # every value came from a validated document): a filter value with one
        # matches nothing, and is never sent.
        for k, v in filters.items():
            if isinstance(v, list | tuple | set | frozenset):  # any of these values
                values = sorted(x for x in map(str, v) if "\x00" not in x)
                parts.append(f"{k} IN ({', '.join([mark] * len(values))})" if values else "1 = 0")
                params.extend(values)
            elif v is not None and "\x00" in str(v):
                parts.append("1 = 0")
            elif v is not None:
                parts.append(f"{k} = {mark}")
                params.append(str(v))
        if before is not None:
            column, value = before if isinstance(before, tuple) else (self.table.order, before)
            if isinstance(before, tuple):
                self._check((column,))
            parts.append(f"{column} < {mark}")
            params.append(value)
        return (f"WHERE {' AND '.join(parts)}" if parts else ""), params

    def _check(self, columns: tuple[str, ...]) -> None:
        if set(columns) - set(self.table.columns):
            raise ValueError(f"unknown column(s) in {columns}")


class SQLiteDocumentView(SQLiteTrackingRecorder, DocumentView[M]):
    def construct_create_table_statements(self) -> list[str]:
        t = self.table
        cols = ", ".join([*(f"{c} TEXT" for c in t.columns), *(f"{c} INTEGER" for c in t.sums)])
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {t.name} ({t.key} TEXT PRIMARY KEY, {cols}, body TEXT)",
            *(f"CREATE INDEX IF NOT EXISTS {t.name}_{c} ON {t.name} ({c})" for c in t.columns),
        ]

    def _create_table(self, c: Any) -> None:
        super()._create_table(c)
        t = self.table
        c.execute(f"PRAGMA table_info({t.name})")
        have = {r[1] for r in c.fetchall()}
        added = [name for name in t.sums if name not in have]
        for name in added:
            c.execute(f"ALTER TABLE {t.name} ADD COLUMN {name} INTEGER")
        if t.refill and added:
            c.execute(f"SELECT {t.key}, body FROM {t.name}")
            sets = ", ".join(f"{name} = ?" for name in added)
            rows = [(r[0], r[1]) for r in c.fetchall()]
            c.executemany(f"UPDATE {t.name} SET {sets} WHERE {t.key} = ?", refilled(t, rows, added))

    def save(self, docs: list[M], tracking: Tracking | None) -> None:
        t = self.table
        names = t.names
        with self.datastore.transaction(commit=True) as c:
            c.executemany(
                f"INSERT OR REPLACE INTO {t.name} ({', '.join(names)}) "
                f"VALUES ({', '.join('?' * len(names))})",
                [t.row(d) for d in docs],
            )
            if tracking is not None:
                self._insert_tracking(c, tracking)

    def get(self, key: str) -> M | None:
        t = self.table
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT body FROM {t.name} WHERE {t.key} = ?", (key,))
            row = c.fetchone()
        return t.model.model_validate_json(row["body"]) if row else None

    def search(
        self, limit: int = 50, offset: int = 0, before: Below = None, **filters: Any
    ) -> Page[M]:
        t = self.table
        where, params = self._where(filters, before, "?")
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT COUNT(*) FROM {t.name} {where}", params)
            total = c.fetchone()[0]
            c.execute(
                f"SELECT body FROM {t.name} {where} ORDER BY {t.order}, {t.key} LIMIT ? OFFSET ?",
                [*params, limit, offset],
            )
            items = [t.model.model_validate_json(r["body"]) for r in c.fetchall()]
        return Page(items, total)

    def keys(self, after: str | None = None, limit: int = 500) -> list[str]:
        t = self.table
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {t.key} FROM {t.name} WHERE ? IS NULL OR {t.key} > ? "
                f"ORDER BY {t.key} LIMIT ?",
                (after, after, limit),
            )
            return [r[0] for r in c.fetchall()]

    def counts(
        self, *columns: str, before: Below = None, **filters: Any
    ) -> dict[tuple[str | None, ...], int]:
        self._check(columns)
        cols = ", ".join(columns)
        where, params = self._where(filters, before, "?")
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {cols}, COUNT(*) AS n FROM {self.table.name} {where} GROUP BY {cols}",
                params,
            )
            return {tuple(r[c] for c in columns): r["n"] for r in c.fetchall()}

    def totals(self) -> dict[str, int]:
        if not self.table.sums:
            return {}
        cols = ", ".join(f"COALESCE(SUM({c}), 0) AS {c}" for c in self.table.sums)
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT {cols} FROM {self.table.name}")
            row = c.fetchone()
        return {c: int(row[c]) for c in self.table.sums}

    def clear(self, application_name: str) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"DELETE FROM {self.table.name}")
            c.execute("DELETE FROM tracking WHERE application_name = ?", (application_name,))


class PostgresDocumentView(PostgresTrackingRecorder, DocumentView[M]):
    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        t = self.table
        self.ident = Identifier(self.datastore.schema, t.name)
        self.sql_create_statements.extend(
            postgres_table_statements(t, self.ident, self.datastore.schema)
        )

    def _create_table(self, curs: Any) -> None:
        had = postgres_columns(curs, self.datastore.schema, self.table.name)
        super()._create_table(curs)  # adds the sums a table made before lacks
        added = [name for name in self.table.sums if had and name not in had]
        if self.table.refill and added:
            postgres_refill(curs, self.table, self.ident, added)

    def save(self, docs: list[M], tracking: Tracking | None) -> None:
        t = self.table
        names = t.names
        # One statement for the whole batch: a column of values per array.
        arrays = SQL(", ").join(
            [SQL("%b::text[]")] * (1 + len(t.columns))
            + [SQL("%b::bigint[]")] * len(t.sums)
            + [SQL("%b::text[]")]
        )
        columns_sql = SQL(", ").join(map(Identifier, names))
        statement = SQL(
            "INSERT INTO {0} ({1}) SELECT {1} FROM unnest({2}) AS u ({1}) "
            "ON CONFLICT ({3}) DO UPDATE SET {4}"
        ).format(
            self.ident,
            columns_sql,
            arrays,
            Identifier(t.key),
            SQL(", ").join(SQL("{0} = EXCLUDED.{0}").format(Identifier(c)) for c in names[1:]),
        )
        rows = [t.row(d) for d in docs]
        columns = [list(col) for col in zip(*rows)] if rows else [[] for _ in names]
        with self.datastore.transaction(commit=True) as curs:
            if rows:
                curs.execute(statement, columns)
            if tracking is not None:
                self._insert_tracking(curs, tracking)

    def get(self, key: str) -> M | None:
        t = self.table
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT body FROM {0} WHERE {1} = %s").format(self.ident, Identifier(t.key)),
                (key,),
            )
            row = curs.fetchone()
        return t.model.model_validate_json(row["body"]) if row else None

    def search(
        self, limit: int = 50, offset: int = 0, before: Below = None, **filters: Any
    ) -> Page[M]:
        t = self.table
        where, params = self._where(filters, before, "%s")
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                Composed([SQL("SELECT COUNT(*) AS n FROM {0} ").format(self.ident), SQL(where)]),
                params,
            )
            total = curs.fetchone()["n"]
            curs.execute(
                Composed(
                    [
                        SQL("SELECT body FROM {0} ").format(self.ident),
                        SQL(where),
                        SQL(" ORDER BY {0}, {1} LIMIT %s OFFSET %s").format(
                            Identifier(t.order), Identifier(t.key)
                        ),
                    ]
                ),
                [*params, limit, offset],
            )
            items = [t.model.model_validate_json(r["body"]) for r in curs.fetchall()]
        return Page(items, total)

    def keys(self, after: str | None = None, limit: int = 500) -> list[str]:
        key = Identifier(self.table.key)
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL(
                    "SELECT {1} FROM {0} WHERE %s::text IS NULL OR {1} > %s ORDER BY {1} LIMIT %s"
                ).format(self.ident, key),
                (after, after, limit),
            )
            return [r[self.table.key] for r in curs.fetchall()]

    def counts(
        self, *columns: str, before: Below = None, **filters: Any
    ) -> dict[tuple[str | None, ...], int]:
        self._check(columns)
        cols = SQL(", ").join(map(Identifier, columns))
        where, params = self._where(filters, before, "%s")
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                Composed(
                    [
                        SQL("SELECT {0}, COUNT(*) AS n FROM {1} ").format(cols, self.ident),
                        SQL(where),
                        SQL(" GROUP BY {0}").format(cols),
                    ]
                ),
                params,
            )
            return {tuple(r[c] for c in columns): r["n"] for r in curs.fetchall()}

    def totals(self) -> dict[str, int]:
        if not self.table.sums:
            return {}
        cols = SQL(", ").join(
            SQL("COALESCE(SUM({0}), 0) AS {0}").format(Identifier(c)) for c in self.table.sums
        )
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT {0} FROM {1}").format(cols, self.ident))
            row = curs.fetchone()
        return {c: int(row[c]) for c in self.table.sums}

    def clear(self, application_name: str) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(SQL("DELETE FROM {0}").format(self.ident))
            curs.execute(
                SQL("DELETE FROM {0} WHERE application_name = %s").format(
                    Identifier(self.datastore.schema, self.tracking_table_name)
                ),
                (application_name,),
            )


def open_view(
    env: dict[str, str],
    name: str,
    sqlite_class: type[DocumentView[Any]],
    postgres_class: type[DocumentView[Any]],
) -> DocumentView[Any]:
    cls = sqlite_class if env["PERSISTENCE_MODULE"].endswith("sqlite") else postgres_class
    return InfrastructureFactory.construct(Environment(name, env)).tracking_recorder(cls)
