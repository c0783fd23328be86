"""Text a spreadsheet must never run: one rule for every file povwatch writes
for people to open (the rejections CSV, every workbook).

A cell that begins with ``=``, ``+``, ``-`` or ``@`` is a formula to Excel,
WPS and LibreOffice, and one that begins with a tab or a carriage return
becomes one once the program strips it; a message's field name, a reason or
what staff typed can begin so (``=HYPERLINK(...)``). Such text gets a single
quote in front (OWASP's advice for CSV injection): the program shows the text,
quote hidden or not, and runs nothing. Workbooks write every string as a text
cell and mark these with Excel's quote prefix, so editing one does not turn it
into a formula either."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def runs_as_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def inert(value: object) -> object:
    """``value``, or for text that a spreadsheet would read as a formula, the
    text behind a single quote. Numbers and dates pass as they are."""
    if isinstance(value, str) and runs_as_formula(value):
        return "'" + value
    return value
