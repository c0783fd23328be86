"""The rejections file departments read: row, field, reason."""

from __future__ import annotations

import csv
import io

from services.infra.textcells import inert


def report_csv(rejected: list[tuple[int, str, str]]) -> bytes:
    """Rejections (row, field, reason) as CSV, in UTF-8 with a byte order
    mark so that Excel shows Chinese text in it as Chinese: the file
    ``povwatch publish`` writes and the inbox's download of a department's
    dead-lettered messages. A field or reason is whatever the message said
    (a field's name is the sender's key): each cell is made inert."""
    out = io.StringIO(newline="")
    w = csv.writer(out)
    w.writerow(["row", "field", "reason"])
    w.writerows([inert(cell) for cell in row] for row in rejected)
    return out.getvalue().encode("utf-8-sig")
