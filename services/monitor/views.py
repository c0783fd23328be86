"""The risk status read model: one row per household, written together with a
tracking record of the store position it reflects (same transaction), so the
projection resumes exactly where it stopped."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from psycopg.sql import SQL, Identifier

from schemas.status import RiskStatusOut

COLUMNS = ("household_id", "township", "village", "card", "level", "registered", "body")
FILTERS = ("township", "village", "card", "level")


@dataclass(frozen=True)
class Page:
    items: list[RiskStatusOut]
    total: int


def _row(status: RiskStatusOut) -> tuple[Any, ...]:
    return (
        status.household_id,
        status.township,
        status.village,
        status.card,
        status.level,
        status.registered,
        status.model_dump_json(),
    )


class RiskStatusView(TrackingRecorder):
    @abstractmethod
    def save(self, statuses: list[RiskStatusOut], tracking: Tracking) -> None:
        """Upserts statuses and records the position they reflect, atomically."""

    @abstractmethod
    def get(self, household_id: str) -> RiskStatusOut | None: ...

    @abstractmethod
    def search(self, limit: int = 50, offset: int = 0, **filters: str | None) -> Page: ...

    @abstractmethod
    def counts(self) -> dict[tuple[str, str], int]:
        """Households by (card, level); card 'unregistered' for unknown ones."""

    @abstractmethod
    def clear(self, application_name: str) -> None:
        """Forgets every row and the position (before a rebuild)."""


def _where(filters: dict[str, str | None], mark: str) -> tuple[str, list[str]]:
    used = [(k, v) for k, v in filters.items() if v is not None]
    for k, _ in used:
        if k not in FILTERS:
            raise ValueError(f"unknown filter {k!r}")
    clause = " AND ".join(f"{k} = {mark}" for k, _ in used)
    return (f"WHERE {clause}" if clause else ""), [v for _, v in used]  # type: ignore[misc]


class SQLiteRiskStatusView(SQLiteTrackingRecorder, RiskStatusView):
    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS risk_status ("
            "household_id TEXT PRIMARY KEY, township TEXT, village TEXT, card TEXT, "
            "level TEXT, registered INTEGER, body TEXT)",
            "CREATE INDEX IF NOT EXISTS risk_status_place ON risk_status (township, village)",
            "CREATE INDEX IF NOT EXISTS risk_status_level ON risk_status (level, card)",
        ]

    def save(self, statuses: list[RiskStatusOut], tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.executemany(
                f"INSERT OR REPLACE INTO risk_status ({', '.join(COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(COLUMNS))})",
                [_row(s) for s in statuses],
            )
            self._insert_tracking(c, tracking)

    def get(self, household_id: str) -> RiskStatusOut | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT body FROM risk_status WHERE household_id = ?", (household_id,))
            row = c.fetchone()
        return RiskStatusOut.model_validate_json(row["body"]) if row else None

    def search(self, limit: int = 50, offset: int = 0, **filters: str | None) -> Page:
        where, params = _where(filters, "?")
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT COUNT(*) FROM risk_status {where}", params)
            total = c.fetchone()[0]
            c.execute(
                f"SELECT body FROM risk_status {where} ORDER BY household_id LIMIT ? OFFSET ?",
                [*params, limit, offset],
            )
            items = [RiskStatusOut.model_validate_json(r["body"]) for r in c.fetchall()]
        return Page(items, total)

    def counts(self) -> dict[tuple[str, str], int]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT COALESCE(card, 'unregistered') AS card, level, COUNT(*) AS n "
                "FROM risk_status GROUP BY 1, 2"
            )
            return {(r["card"], r["level"]): r["n"] for r in c.fetchall()}

    def clear(self, application_name: str) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("DELETE FROM risk_status")
            c.execute("DELETE FROM tracking WHERE application_name = ?", (application_name,))


class PostgresRiskStatusView(PostgresTrackingRecorder, RiskStatusView):
    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.table = Identifier(self.datastore.schema, "risk_status")
        self.sql_create_statements.extend(
            [
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0} ("
                    "household_id text PRIMARY KEY, township text, village text, card text, "
                    "level text, registered boolean, body jsonb)"
                ).format(self.table),
                SQL("CREATE INDEX IF NOT EXISTS risk_status_place ON {0} (township, village)").format(
                    self.table
                ),
                SQL("CREATE INDEX IF NOT EXISTS risk_status_level ON {0} (level, card)").format(
                    self.table
                ),
            ]
        )

    def save(self, statuses: list[RiskStatusOut], tracking: Tracking) -> None:
        cols = SQL(", ").join(map(Identifier, COLUMNS))
        updates = SQL(", ").join(
            SQL("{0} = EXCLUDED.{0}").format(Identifier(c)) for c in COLUMNS[1:]
        )
        statement = SQL(
            "INSERT INTO {0} ({1}) VALUES ({2}) ON CONFLICT (household_id) DO UPDATE SET {3}"
        ).format(self.table, cols, SQL(", ").join(SQL("%s") * len(COLUMNS)), updates)
        with self.datastore.transaction(commit=True) as curs:
            curs.executemany(statement, [_row(s) for s in statuses])
            self._insert_tracking(curs, tracking)

    def get(self, household_id: str) -> RiskStatusOut | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT body FROM {0} WHERE household_id = %s").format(self.table),
                (household_id,),
            )
            row = curs.fetchone()
        return RiskStatusOut.model_validate(row["body"]) if row else None

    def search(self, limit: int = 50, offset: int = 0, **filters: str | None) -> Page:
        where, params = _where(filters, "%s")
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT COUNT(*) AS n FROM {0} ").format(self.table) + SQL(where), params)
            total = curs.fetchone()["n"]
            curs.execute(
                SQL("SELECT body FROM {0} ").format(self.table)
                + SQL(where)
                + SQL(" ORDER BY household_id LIMIT %s OFFSET %s"),
                [*params, limit, offset],
            )
            items = [RiskStatusOut.model_validate(r["body"]) for r in curs.fetchall()]
        return Page(items, total)

    def counts(self) -> dict[tuple[str, str], int]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL(
                    "SELECT COALESCE(card, 'unregistered') AS card, level, COUNT(*) AS n "
                    "FROM {0} GROUP BY 1, 2"
                ).format(self.table)
            )
            return {(r["card"], r["level"]): r["n"] for r in curs.fetchall()}

    def clear(self, application_name: str) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(SQL("DELETE FROM {0}").format(self.table))
            curs.execute(
                SQL("DELETE FROM {0} WHERE application_name = %s").format(
                    Identifier(self.datastore.schema, self.tracking_table_name)
                ),
                (application_name,),
            )


def view_class(persistence_module: str) -> type[RiskStatusView]:
    return SQLiteRiskStatusView if persistence_module.endswith("sqlite") else PostgresRiskStatusView

