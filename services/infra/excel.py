"""Spreadsheets people download: one streaming writer for every ledger and list.

openpyxl's write-only mode keeps one row in memory at a time, so a sheet of
100,000 rows costs what one row costs. Every sheet gets its Chinese headers, a
frozen header row and its columns' widths; dates stay dates (a cell Excel can
sort and filter), not text. Every text cell passes the personal-number check
on its way out: an export is one of the places such a number must never reach.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from domain.privacy import no_personal_numbers

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Column:
    header: str
    width: float = 14
    date_format: str = "yyyy-mm-dd"
    # A household's code (a reference the contract checked on the way in, as
    # long a run of digits as the registry gives it): written as it is.
    code: bool = False


@dataclass
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]


def sheet_title(name: str, taken: set[str]) -> str:
    """Excel refuses titles over 31 characters, with []:*?/\\, or repeated."""
    base = _TITLE_FORBIDDEN.sub("_", name).strip() or "Sheet"
    title, n = base[:31], 2
    while title in taken:
        suffix = f"({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title)
    return title


def _cell(ws: Any, value: Any, column: Column) -> Any:
    if isinstance(value, datetime):
        # Excel has no time zones: a timestamp is written as the wall time it
        # was given (the caller converts to China time first).
        value = value.replace(tzinfo=None)
    elif isinstance(value, str) and not column.code:
        value = no_personal_numbers(value)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, datetime):
        cell.number_format = column.date_format + " hh:mm"
    elif isinstance(value, date):
        cell.number_format = column.date_format
    return cell


def write_workbook(sheets: Iterable[Sheet], out: str | Path | IO[bytes]) -> int:
    """Write the sheets in order; returns the number of data rows written."""
    wb = Workbook(write_only=True)
    try:
        written, any_sheet = _fill(wb, sheets)
    except BaseException:
        wb.save(io.BytesIO())  # closes the half-written sheets' temporary files
        raise
    if not any_sheet:
        wb.create_sheet("Sheet")  # a workbook needs one sheet to open
    wb.save(out)
    return written


def _fill(wb: Workbook, sheets: Iterable[Sheet]) -> tuple[int, bool]:
    taken: set[str] = set()
    written = 0
    bold = Font(bold=True)
    for sheet in sheets:
        ws = wb.create_sheet(sheet_title(sheet.title, taken))
        ws.freeze_panes = "A2"
        for i, column in enumerate(sheet.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = column.width
        header = []
        for column in sheet.columns:
            cell = WriteOnlyCell(ws, value=column.header)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in sheet.rows:
            ws.append([_cell(ws, v, c) for v, c in zip(row, sheet.columns, strict=True)])
            written += 1
    return written, bool(taken)
