"""Every document of a view that a listing would find, read a page at a time
by keyset (for exports): a page near the end costs what the first one does,
where an offset costs every row it skips, and only one page is held.

Pages come in the table's order (its order column, then its key), so the
order column must never be empty: a NULL sorts first on SQLite and last on
PostgreSQL. A walk is not a snapshot: a row that moves while it goes may be
read twice or not at all."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from psycopg.sql import SQL, Composed, Identifier

from services.infra.views import DocumentView, PostgresDocumentView

Position = tuple[str, str]  # the order column's and the key's values of the last row read


def walk(
    view: DocumentView[Any], page: int = 1000, missing: Sequence[str] = (), **filters: Any
) -> Iterator[Any]:
    """The documents ``view.search`` would find with ``filters`` (equality,
    or any of a list; None: any) and with no value in each column of
    ``missing``, in the table's order."""
    t, position = view.table, None
    while True:
        items = after(view, position, page, missing, filters)
        yield from items
        if len(items) < page:
            return
        last = items[-1]
        position = (str(getattr(last, t.order)), str(getattr(last, t.key)))


def after(
    view: DocumentView[Any],
    position: Position | None,
    limit: int,
    missing: Sequence[str],
    filters: dict[str, Any],
) -> list[Any]:
    """Up to ``limit`` documents past ``position``."""
    t = view.table
    postgres = isinstance(view, PostgresDocumentView)
    where, params = _past(view, filters, missing, position, "%s" if postgres else "?")
    with view.datastore.transaction(commit=False) as c:
        if postgres:
            c.execute(
                Composed(
                    [
                        SQL("SELECT body FROM {0} ").format(view.ident),
                        SQL(where),  # type: ignore[arg-type]
                        SQL(" ORDER BY {0}, {1} LIMIT %s").format(
                            Identifier(t.order), Identifier(t.key)
                        ),
                    ]
                ),
                [*params, limit],
            )
        else:
            c.execute(
                f"SELECT body FROM {t.name} {where} ORDER BY {t.order}, {t.key} LIMIT ?",
                [*params, limit],
            )
        return [t.model.model_validate_json(r["body"]) for r in c.fetchall()]


def _past(
    view: DocumentView[Any],
    filters: dict[str, Any],
    missing: Sequence[str],
    position: Position | None,
    mark: str,
) -> tuple[str, list[Any]]:
    t = view.table
    view._check(tuple(missing))
    where, params = view._where(filters, None, mark)
    parts = [where.removeprefix("WHERE ")] if where else []
    parts += [f"{c} IS NULL" for c in missing]
    if position is not None and t.order == t.key:
        parts.append(f"{t.key} > {mark}")
        params.append(position[1])
    elif position is not None:
        # The first comparison lets either store range-scan the order
        # column's index; the row comparison is the exact keyset.
        parts.append(f"{t.order} >= {mark} AND ({t.order}, {t.key}) > ({mark}, {mark})")
        params.extend([position[0], *position])
    return (f"WHERE {' AND '.join(parts)}" if parts else ""), params
