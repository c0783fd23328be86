"""Why a PostgreSQL store did not open, when waiting cannot cure it.

A wrong password, a database or schema that does not exist, a missing grant:
the start stops with the setting to fix. Anything else (a server still
starting, a port nobody listens on yet, a host name not yet resolvable, two
processes racing to create the same tables) may pass, and is retried.

A failed statement carries its SQLSTATE, read here through psycopg's error
classes. A failed connection carries none (libpq keeps the server's code to
itself: psycopg issue 1188), and the library's pool hides even that behind a
timeout; so the cause is asked of the server: one direct connection, libpq's
ping (did a server answer at all?) and the catalog of its maintenance
database (does the database exist?). No server message is matched: the
server words them in its own language. No message here includes the password.
"""

from __future__ import annotations

from typing import Protocol

import psycopg
from psycopg import errors, pq
from psycopg.conninfo import make_conninfo


class StoreSettings(Protocol):
    """What is read here of ``services.infra.settings.Settings`` (which calls here)."""

    @property
    def store(self) -> str: ...
    @property
    def postgres_host(self) -> str: ...
    @property
    def postgres_port(self) -> int: ...
    @property
    def postgres_dbname(self) -> str: ...
    @property
    def postgres_user(self) -> str: ...
    @property
    def postgres_password(self) -> str: ...
    @property
    def postgres_schema(self) -> str: ...


class StoreMisconfigured(Exception):
    """The store's settings name what the server refuses; retrying cannot help."""


def _schema_missing(s: StoreSettings) -> str:
    # The product creates tables in the schema, never the schema itself.
    return (
        f'the PostgreSQL schema "{s.postgres_schema}" does not exist in database '
        f'"{s.postgres_dbname}": create it or fix POVWATCH_POSTGRES_SCHEMA'
    )


def _not_permitted(s: StoreSettings) -> str:
    return (
        f'PostgreSQL user "{s.postgres_user}" may not create or use the tables in schema '
        f'"{s.postgres_schema}": grant it CREATE and USAGE there, '
        "or fix POVWATCH_POSTGRES_USER or POVWATCH_POSTGRES_SCHEMA"
    )


def _database_missing(s: StoreSettings) -> str:
    return (
        f'the PostgreSQL database "{s.postgres_dbname}" does not exist at {_server(s)}: '
        "create it or fix POVWATCH_POSTGRES_DBNAME"
    )


def _sign_in_refused(s: StoreSettings) -> str:
    return (
        f'PostgreSQL at {_server(s)} refused the password of user "{s.postgres_user}": '
        "fix POVWATCH_POSTGRES_PASSWORD (or POVWATCH_POSTGRES_USER)"
    )


def _session_refused(s: StoreSettings) -> str:
    # Signed in on the maintenance database, refused on this one.
    return (
        f'PostgreSQL at {_server(s)} refuses user "{s.postgres_user}" a session on database '
        f'"{s.postgres_dbname}" (its CONNECT grant or pg_hba.conf): fix POVWATCH_POSTGRES_USER'
    )


# The statements' SQLSTATEs that no wait cures, and the cause each states.
_STATEMENT_CAUSES = {
    errors.InvalidSchemaName: _schema_missing,  # 3F000
    errors.InsufficientPrivilege: _not_permitted,  # 42501
    errors.InvalidCatalogName: _database_missing,  # 3D000
    errors.InvalidPassword: _sign_in_refused,  # 28P01
    errors.InvalidAuthorizationSpecification: _sign_in_refused,  # 28000
}


def permanent_cause(error: BaseException, settings: StoreSettings) -> str | None:
    """The plain cause of ``error``, raised opening a store, when waiting
    cannot cure it; None when it may pass."""
    if settings.store != "postgres":
        return None
    chain = _chain(error)
    for e in chain:
        for kind, cause in _STATEMENT_CAUSES.items():
            if isinstance(e, kind):
                return cause(settings)
    if any(isinstance(e, psycopg.OperationalError) for e in chain):
        return _connection_cause(settings)
    return None


def _connection_cause(s: StoreSettings) -> str | None:
    try:
        psycopg.connect(_conninfo(s)).close()
        return None  # the server takes a session now: whatever failed may pass
    except psycopg.Error:
        pass
    if pq.PGconn.ping(_conninfo(s).encode()) != pq.Ping.OK:
        return None  # nothing answered, or the server is starting or stopping
    try:
        with psycopg.connect(_conninfo(s, dbname="postgres")) as conn:
            found = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [s.postgres_dbname]
            ).fetchone()
    except psycopg.Error:
        return _sign_in_refused(s)
    return _database_missing(s) if found is None else _session_refused(s)


def _conninfo(s: StoreSettings, dbname: str | None = None) -> str:
    return make_conninfo(
        host=s.postgres_host,
        port=s.postgres_port,
        dbname=dbname or s.postgres_dbname,
        user=s.postgres_user,
        password=s.postgres_password,
        connect_timeout=3,
    )


def _server(s: StoreSettings) -> str:
    return f"{s.postgres_host}:{s.postgres_port}"


def _chain(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    e: BaseException | None = error
    while e is not None and e not in found:
        found.append(e)
        e = e.__cause__ or e.__context__
    return found
