"""The PostgreSQL statements that make a document view's table
(``services.infra.views``) and bring an older one up to its shape, and the
sums an older table of either store fills from its documents."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from psycopg.sql import SQL, Composable, Identifier, Literal

FILLFACTOR = 80  # percent of a page rows fill when inserted


def postgres_table_statements(t: Any, ident: Identifier, schema: str) -> list[Composable]:
    out: list[Composable] = []
    # Keys and filter columns are codes and labels, compared bytewise
    # ("C"): under a locale's collation every comparison in their indexes
    # goes through the locale, and an upsert compares its way down five of
    # them. For UTF-8 text, byte order is code point order (C.UTF-8's).
    cols = SQL(", ").join(
        [
            *(SQL('{} text COLLATE "C"').format(Identifier(c)) for c in t.columns),
            *(SQL("{} bigint").format(Identifier(c)) for c in t.sums),
        ]
    )
    # The body is text, not jsonb: nothing queries inside it, and parsing
    # each upserted document into jsonb cost about a quarter of the upsert.
    # Room on each page (fillfactor) lets an update that leaves the indexed
    # columns alone (most months' reassessments) stay on its page, writing no
    # index entries (HOT): a fifth of a page holds a new version of a status
    # of a kilobyte (one with two factors and the guarantees); a tenth would
    # not.
    out.append(
        SQL(
            'CREATE TABLE IF NOT EXISTS {0} ({1} text COLLATE "C" PRIMARY KEY, {2}, body text) '
            "WITH (fillfactor = {3})"
        ).format(ident, Identifier(t.key), cols, Literal(FILLFACTOR))
    )
    # Tables made when the body was jsonb: converted once, in place.
    out.append(
        SQL(
            "DO $$ BEGIN IF EXISTS (SELECT 1 FROM information_schema.columns "
            "WHERE table_schema = {0} AND table_name = {1} AND column_name = 'body' "
            "AND data_type = 'jsonb') THEN ALTER TABLE {2} ALTER COLUMN body TYPE text; "
            "END IF; END $$"
        ).format(Literal(schema), Literal(t.name), ident)
    )
    # Tables made with another fillfactor (or none): new pages get this room.
    out.append(
        SQL(
            "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = {0} AND c.relname = {1} "
            "AND NOT {2} = ANY(coalesce(c.reloptions, '{{}}'))) "
            "THEN ALTER TABLE {3} SET (fillfactor = {4}); END IF; END $$"
        ).format(
            Literal(schema),
            Literal(t.name),
            Literal(f"fillfactor={FILLFACTOR}"),
            ident,
            Literal(FILLFACTOR),
        )
    )
    for c in t.sums:  # a table made before the sum was added (no lock when it was)
        out.append(
            SQL(
                "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM information_schema.columns "
                "WHERE table_schema = {0} AND table_name = {1} AND column_name = {2}) "
                "THEN ALTER TABLE {3} ADD COLUMN {4} bigint; END IF; END $$"
            ).format(
                Literal(schema),
                Literal(t.name),
                Literal(c),
                ident,
                Identifier(c),
            )
        )
    for c in t.columns:
        out.append(
            SQL("CREATE INDEX IF NOT EXISTS {0} ON {1} ({2})").format(
                Identifier(f"{t.name}_{c}"), ident, Identifier(c)
            )
        )
    return out


def refilled(t: Any, rows: Iterable[tuple[str, str]], added: list[str]) -> list[tuple[Any, ...]]:
    """The ``added`` sums of each (key, body), then its key: an UPDATE's
    parameters (a table's ``refill``)."""
    return [(*t.sums_of(t.model.model_validate_json(body), added), key) for key, body in rows]


def postgres_columns(curs: Any, schema: str, name: str) -> set[str]:
    """The columns the table has (none: it is not made yet)."""
    curs.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = %s",
        (schema, name),
    )
    return {r["column_name"] for r in curs.fetchall()}


def postgres_refill(curs: Any, t: Any, ident: Identifier, added: list[str]) -> None:
    curs.execute(SQL("SELECT {0}, body FROM {1}").format(Identifier(t.key), ident))
    rows = [(r[t.key], r["body"]) for r in curs.fetchall()]
    sets = SQL(", ").join(SQL("{0} = %s").format(Identifier(n)) for n in added)
    curs.executemany(
        SQL("UPDATE {0} SET {1} WHERE {2} = %s").format(ident, sets, Identifier(t.key)),
        refilled(t, rows, added),
    )
