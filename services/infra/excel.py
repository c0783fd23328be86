"""Spreadsheets people download: one streaming writer for every ledger and list.

XlsxWriter's constant-memory mode writes each row to the sheet's file as the
next one starts, so a sheet of 100,000 rows costs what one row costs (and it
writes a row in less than half the time openpyxl's write-only mode takes,
which is what keeps a county's ledger inside its minute). Every sheet gets
its Chinese headers, a frozen header row and its columns' widths; dates stay
dates (a cell Excel can sort and filter), not text. Every text cell passes
the personal-number check on its way out: an export is one of the places
such a number must never reach. Text is never read as a formula or a link:
every string is a text cell, and one a spreadsheet would run (``textcells``)
also carries Excel's quote prefix, so that editing it keeps it text.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import xlsxwriter

from domain.privacy import no_personal_numbers
from services.infra.textcells import runs_as_formula

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


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


def write_workbook(sheets: Iterable[Sheet], out: str | Path | IO[bytes]) -> int:
    """Write the sheets in order; returns the number of data rows written.
    Nothing is written to ``out`` when a row fails (the rows' temporary
    files go with their directory)."""
    with tempfile.TemporaryDirectory(prefix="povwatch-xlsx-") as tmp:
        target = str(out) if isinstance(out, Path) else out
        wb = xlsxwriter.Workbook(target, {**_OPTIONS, "tmpdir": tmp})
        try:
            written, any_sheet = _fill(wb, sheets)
            if not any_sheet:
                wb.add_worksheet("Sheet")  # a workbook needs one sheet to open
        except BaseException:
            for ws in wb.worksheets():
                ws._opt_close()  # the rows' open files, before their directory goes
            raise
        wb.close()
    return written


class _Formats:
    def __init__(self, wb: Any) -> None:
        self.wb = wb
        self.bold = wb.add_format({"bold": True})
        self.quoted = wb.add_format({"quote_prefix": True})
        self._dates: dict[str, Any] = {}

    def date(self, pattern: str) -> Any:
        f = self._dates.get(pattern)
        if f is None:
            f = self._dates[pattern] = self.wb.add_format({"num_format": pattern})
        return f


def _fill(wb: Any, sheets: Iterable[Sheet]) -> tuple[int, bool]:
    taken: set[str] = set()
    written = 0
    formats = _Formats(wb)
    for sheet in sheets:
        ws = wb.add_worksheet(sheet_title(sheet.title, taken))
        ws.freeze_panes(1, 0)
        columns = list(sheet.columns)
        for i, column in enumerate(columns):
            ws.set_column(i, i, column.width)
            ws.write_string(0, i, column.header, formats.bold)
        dates = [formats.date(c.date_format) for c in columns]
        stamps = [formats.date(c.date_format + " hh:mm") for c in columns]
        r = 0
        for row in sheet.rows:
            r += 1
            if len(row) != len(columns):
                raise ValueError(
                    f"row {r} of {sheet.title!r} has {len(row)} cells, not {len(columns)}"
                )
            for i, value in enumerate(row):
                _write(ws, r, i, value, (dates[i], stamps[i], formats.quoted), columns[i].code)
        written += r
    return written, bool(taken)


def _write(ws: Any, r: int, i: int, value: Any, formats: tuple[Any, Any, Any], code: bool) -> None:
    day, stamp, quoted = formats
    if value is None:
        return
    if isinstance(value, str):
        text = value if code else no_personal_numbers(value)
        ws.write_string(r, i, text, quoted if runs_as_formula(text) else None)
    elif isinstance(value, bool):
        ws.write_boolean(r, i, value)
    elif isinstance(value, int | float | Decimal):
        ws.write_number(r, i, value)
    elif isinstance(value, datetime):
        # Excel has no time zones: a timestamp is written as the wall time it
        # was given (the caller converts to China time first).
        ws.write_datetime(r, i, value.replace(tzinfo=None), stamp)
    elif isinstance(value, date):
        ws.write_datetime(r, i, value, day)
    else:
        raise TypeError(f"a {type(value).__name__} is not a cell value")
