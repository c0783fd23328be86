"""A ledger as a workbook: its documents read from the read model a page at
a time (``services/infra/keyset.py``), mapped to rows (``ledgers.py``) and
streamed to the file, so the county's ledger costs one page of documents and
one row in memory, whatever its size.

The county's workbook opens with a county sheet (each township's rows
counted by the ledger's breakdown, from the view's grouped counts, and the
county's totals), then one sheet per township, then one for households the
registry does not know, if any. A township's (or a village's) workbook is
its own sheet alone. Which area an account may ask for is the entry points'
(services/cases/ledgerapi.py); here the area is given."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from services.cases.ledgers import COUNTY, LEDGERS, UNREGISTERED, Kind, Ledger
from services.infra.excel import Column, Sheet, write_workbook
from services.infra.keyset import walk
from services.presentation.words import Term

PAGE = 1000  # documents a read holds


@dataclass(frozen=True)
class LedgerViews:
    """The read models the ledgers list, and the words of their codes."""

    case_list: Any
    monitoring: Any
    tasks: Any
    term: Term

    def of(self, ledger: Ledger) -> Any:
        return {"cases": self.case_list, "monitoring": self.monitoring, "tasks": self.tasks}[
            ledger.view
        ]


@dataclass(frozen=True)
class Area:
    """The part of the county a workbook covers (None: the whole county)."""

    township: str | None = None
    village: str | None = None

    @property
    def name(self) -> str:
        if self.township is None:
            return COUNTY
        return f"{self.township}{self.village}" if self.village else self.township


def file_name(kind: Kind, area: Area, today: date) -> str:
    return f"{LEDGERS[kind].title}_{area.name}_{today.isoformat()}.xlsx"


def content_disposition(kind: Kind, area: Area, today: date) -> str:
    """The Chinese file name (RFC 6266's filename*), with a plain one for
    clients that read only that."""
    plain = f"ledger-{kind}-{today.isoformat()}.xlsx"
    return (
        f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(file_name(kind, area, today))}"
    )


def write_ledger(
    views: LedgerViews, kind: Kind, area: Area, today: date, out: str | Path | IO[bytes]
) -> int:
    """Writes the ledger of ``area``; returns its rows (the documents listed)."""
    listed = [0]
    write_workbook(sheets(views, LEDGERS[kind], area, today, listed), out)
    return listed[0]


def sheets(
    views: LedgerViews, ledger: Ledger, area: Area, today: date, listed: list[int] | None = None
) -> Iterator[Sheet]:
    """The workbook's sheets, each reading its rows as it is written;
    ``listed[0]`` counts the documents listed."""
    view = views.of(ledger)
    filters = dict(ledger.filters)
    make = _rows_of(views, ledger, today, listed if listed is not None else [0])
    if area.township is not None:
        if area.village is not None:
            filters["village"] = area.village
        yield Sheet(area.name, ledger.columns, make(township=area.township, **filters))
        return
    counts = view.counts("township", *_breakdown(ledger), **filters)
    yield Sheet(f"{COUNTY}汇总", _summary_columns(ledger, views.term), _summary(ledger, counts))
    townships = sorted({k[0] for k in counts if k[0] is not None})
    for t in townships:
        yield Sheet(t, ledger.columns, make(township=t, **filters))
    if any(k[0] is None for k in counts):
        yield Sheet(UNREGISTERED, ledger.columns, make(missing=("township",), **filters))


def _rows_of(
    views: LedgerViews, ledger: Ledger, today: date, listed: list[int]
) -> Callable[..., Iterator[Any]]:
    view = views.of(ledger)

    def rows(missing: tuple[str, ...] = (), **filters: Any) -> Iterator[tuple[Any, ...]]:
        if ledger.walks is None:
            parts: list[dict[str, Any]] = [{}]
        else:
            column, values = ledger.walks
            parts = [{column: v} for v in values]
        for part in parts:
            for doc in walk(view, PAGE, missing, **filters, **part):
                listed[0] += 1
                yield ledger.row(doc, views.term, today)

    return rows


def _breakdown(ledger: Ledger) -> tuple[str, ...]:
    return (ledger.breakdown[0],) if ledger.breakdown else ()


def _summary_columns(ledger: Ledger, term: Term) -> list[Column]:
    values = [term(ledger.breakdown[2], v) for v in ledger.breakdown[1]] if ledger.breakdown else []
    return [Column("乡镇", 14), Column("合计", 10), *(Column(v, 14) for v in values)]


def _summary(
    ledger: Ledger, counts: dict[tuple[str | None, ...], int]
) -> Iterator[tuple[Any, ...]]:
    """Each township's rows by the breakdown, and the county's (the rows that
    follow: the same filters, counted from the view's indexed columns)."""
    values = ledger.breakdown[1] if ledger.breakdown else ()
    by: dict[str | None, dict[str | None, int]] = {}
    for key, n in counts.items():
        cell = by.setdefault(key[0], {})
        value = key[1] if len(key) > 1 else None
        cell[value] = cell.get(value, 0) + n
    order = sorted((t for t in by if t is not None), key=str) + ([None] if None in by else [])
    for t in [*order, COUNTY]:
        cells = by.get(t, {}) if t != COUNTY else _total(by)
        yield (
            UNREGISTERED if t is None else t,
            sum(cells.values()),
            *(cells.get(v, 0) for v in values),
        )


def _total(by: dict[str | None, dict[str | None, int]]) -> dict[str | None, int]:
    total: dict[str | None, int] = {}
    for cells in by.values():
        for v, n in cells.items():
            total[v] = total.get(v, 0) + n
    return total
