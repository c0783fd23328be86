"""Reads of a document view that whole-table jobs make (the monthly report):
every document in key order, and the integer columns' sums per group. One
query each, per store, next to the view's own reads (services/infra/views.py)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from psycopg.sql import SQL, Identifier

from services.infra.views import DocumentView, SQLiteDocumentView


def documents(view: DocumentView[Any], after: str | None = None, limit: int = 500) -> list[Any]:
    """Up to ``limit`` documents in key order, those whose key is above
    ``after``: each batch costs the same at the table's end as at its start
    (an offset costs as many rows as it skips)."""
    t = view.table
    if isinstance(view, SQLiteDocumentView):
        with view.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT body FROM {t.name} WHERE ? IS NULL OR {t.key} > ? "
                f"ORDER BY {t.key} LIMIT ?",
                (after, after, limit),
            )
            return [t.model.model_validate_json(r[0]) for r in c.fetchall()]
    key = Identifier(t.key)
    with view.datastore.transaction(commit=False) as curs:
        curs.execute(
            SQL(
                "SELECT body FROM {0} WHERE %s::text IS NULL OR {1} > %s ORDER BY {1} LIMIT %s"
            ).format(view.ident, key),  # type: ignore[attr-defined]
            (after, after, limit),
        )
        return [t.model.model_validate_json(r["body"]) for r in curs.fetchall()]


def every_document(view: DocumentView[Any], batch: int = 1000) -> Iterator[Any]:
    after: str | None = None
    while True:
        found = documents(view, after, batch)
        yield from found
        if len(found) < batch:
            return
        after = str(getattr(found[-1], view.table.key))


def totals_by(view: DocumentView[Any], *columns: str) -> dict[tuple[Any, ...], dict[str, int]]:
    """The sums of the table's integer columns per value of ``columns``."""
    t = view.table
    if set(columns) - set(t.columns) or not t.sums:
        raise ValueError(f"no sums by {columns} in {t.name}")
    if isinstance(view, SQLiteDocumentView):
        cols = ", ".join(columns)
        sums = ", ".join(f"COALESCE(SUM({c}), 0) AS {c}" for c in t.sums)
        with view.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT {cols}, {sums} FROM {t.name} GROUP BY {cols}")
            rows = [dict(r) for r in c.fetchall()]
    else:
        group = SQL(", ").join(map(Identifier, columns))
        sums_sql = SQL(", ").join(
            SQL("COALESCE(SUM({0}), 0) AS {0}").format(Identifier(c)) for c in t.sums
        )
        with view.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT {0}, {1} FROM {2} GROUP BY {0}").format(
                    group,
                    sums_sql,
                    view.ident,  # type: ignore[attr-defined]
                )
            )
            rows = list(curs.fetchall())
    return {tuple(r[c] for c in columns): {c: int(r[c]) for c in t.sums} for r in rows}


def bits_by(
    view: DocumentView[Any], column: str, bits: int, *group: str
) -> dict[tuple[Any, ...], tuple[int, list[int]]]:
    """Per value of ``group``: the rows, and how many have each of the first
    ``bits`` bits of the integer ``column`` set (a row made before the column
    counts as none set). One grouped query."""
    t = view.table
    if set(group) - set(t.columns) or column not in t.sums:
        raise ValueError(f"no bits of {column} by {group} in {t.name}")
    if isinstance(view, SQLiteDocumentView):
        cols = ", ".join(group)
        counted = ", ".join(
            f"COALESCE(SUM((COALESCE({column}, 0) >> {k}) & 1), 0) AS b{k}" for k in range(bits)
        )
        with view.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT {cols}, COUNT(*) AS n, {counted} FROM {t.name} GROUP BY {cols}")
            rows = [dict(r) for r in c.fetchall()]
    else:
        group_sql = SQL(", ").join(map(Identifier, group))
        counted_sql = SQL(", ").join(
            SQL("COALESCE(SUM((COALESCE({0}, 0) >> {1}) & 1), 0) AS {2}").format(
                Identifier(column), SQL(str(k)), Identifier(f"b{k}")
            )
            for k in range(bits)
        )
        with view.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT {0}, COUNT(*) AS n, {1} FROM {2} GROUP BY {0}").format(
                    group_sql,
                    counted_sql,
                    view.ident,  # type: ignore[attr-defined]
                )
            )
            rows = list(curs.fetchall())
    return {
        tuple(r[c] for c in group): (int(r["n"]), [int(r[f"b{k}"]) for k in range(bits)])
        for r in rows
    }


def counts_of(
    view: DocumentView[Any], column: str, values: Sequence[int], *group: str
) -> dict[tuple[Any, ...], int]:
    """Rows per value of ``group`` and of the integer ``column``, of those
    whose ``column`` is one of ``values`` (a row made before the column has
    none). One grouped query, on the column's values alone."""
    t = view.table
    if set(group) - set(t.columns) or column not in t.sums:
        raise ValueError(f"no counts of {column} by {group} in {t.name}")
    wanted = [int(v) for v in values]
    if not wanted:
        return {}
    if isinstance(view, SQLiteDocumentView):
        cols = ", ".join((*group, column))
        marks = ", ".join("?" * len(wanted))
        with view.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {cols}, COUNT(*) AS n FROM {t.name} "
                f"WHERE {column} IN ({marks}) GROUP BY {cols}",
                wanted,
            )
            rows = [dict(r) for r in c.fetchall()]
    else:
        cols_sql = SQL(", ").join(map(Identifier, (*group, column)))
        with view.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT {0}, COUNT(*) AS n FROM {1} WHERE {2} = ANY(%s) GROUP BY {0}").format(
                    cols_sql,
                    view.ident,  # type: ignore[attr-defined]
                    Identifier(column),
                ),
                (wanted,),
            )
            rows = list(curs.fetchall())
    return {tuple(r[c] for c in (*group, column)): int(r["n"]) for r in rows}
