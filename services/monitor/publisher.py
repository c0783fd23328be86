"""Departments without Kafka: publish a JSONL, CSV or XLSX file of events.

Each row is validated with the same models the monitor uses; valid rows are
published (key = household_id), invalid ones are listed in a rejection report
(row, field, reason). A ledger of what was published makes re-running the
same file publish nothing twice.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas.events import EVENT_MODELS, Rejection, parse_object
from services.infra.rejectioncsv import report_csv
from services.monitor.workbooks import WorkbookLimits, check_workbook

ENVELOPE = ("event_id", "type", "household_id", "occurred_at", "source", "schema_version")
TRUE, FALSE = {"true", "1", "yes", "y", "是"}, {"false", "0", "no", "n", "否"}


@dataclass
class Report:
    published: int = 0
    already: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # row, field, reason

    @property
    def rejected_rows(self) -> int:
        return len({row for row, _, _ in self.rejected})


def read_rows(
    path: Path, workbook: WorkbookLimits = WorkbookLimits()
) -> Iterator[tuple[int, dict[str, Any] | Rejection]]:
    """Yields (row number, row) with rows numbered as a person sees them in
    the file (a CSV or XLSX header is row 1). A workbook past ``workbook``'s
    limits is refused (WorkbookRefused, a ValueError) before it is opened."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        with path.open("rb") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
                    yield (
                        n,
                        Rejection(
                            "bad_json", [{"field": "", "type": "json_invalid", "message": str(e)}]
                        ),
                    )
                    continue
                if not isinstance(obj, dict):
                    yield (
                        n,
                        Rejection(
                            "invalid",
                            [
                                {
                                    "field": "",
                                    "type": "dict_type",
                                    "message": "a row must be an object",
                                }
                            ],
                        ),
                    )
                    continue
                yield n, obj
    elif suffix == ".csv":
        encoding = csv_encoding(path)
        if encoding is None:
            yield (
                1,
                Rejection(
                    "bad_encoding",
                    [
                        {
                            "field": "",
                            "type": "encoding",
                            "message": "the file is neither UTF-8 nor GB18030 (GBK) text",
                        }
                    ],
                ),
            )
            return
        with path.open(newline="", encoding=encoding) as f:
            for n, row in enumerate(csv.DictReader(f), 2):
                yield n, _nest(row)
    elif suffix == ".xlsx":
        from openpyxl import load_workbook

        check_workbook(path, workbook)
        sheet = load_workbook(path, read_only=True, data_only=True).active
        rows = sheet.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        for n, values in enumerate(rows, 2):
            if all(v is None for v in values):
                continue
            row = {h: ("" if v is None else str(v)) for h, v in zip(header, values) if h}
            yield n, _nest(row)
    else:
        raise ValueError(f"{path.name}: use a .jsonl, .csv or .xlsx file")


def csv_encoding(path: Path) -> str | None:
    """UTF-8 (with or without Excel's byte order mark), else GB18030: the
    encoding Excel on a Chinese Windows saves a CSV in, a superset of GBK.
    None when the file is neither."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            with path.open(encoding=encoding, newline="") as f:
                while f.read(1 << 20):
                    pass
        except UnicodeDecodeError:
            continue
        return encoding
    return None


def _nest(row: dict[str, str]) -> dict[str, Any]:
    """A flat table row -> an envelope with its data, typed by the data model."""
    message: dict[str, Any] = {k: v.strip() for k, v in row.items() if k in ENVELOPE and v}
    data = {k: v.strip() for k, v in row.items() if k not in ENVELOPE and v and v.strip()}
    model = EVENT_MODELS.get(message.get("type", ""))
    if model is not None:
        fields = typing.get_type_hints(model)["data"].model_fields
        for name, value in list(data.items()):
            if name in fields:
                data[name] = _typed(fields[name].annotation, value)
    message["data"] = data
    if "schema_version" in message:
        message["schema_version"] = _typed(int, message["schema_version"])
    return message


def _typed(annotation: Any, value: str) -> Any:
    # An optional field (``bool | None``) is typed as what it is when given:
    # an empty cell is left out of the row before it gets here.
    members = typing.get_args(annotation)
    if len(members) == 2 and type(None) in members:
        annotation = next(a for a in members if a is not type(None))
    text = str(annotation)
    if annotation is int:
        return int(value) if value.lstrip("-").isdigit() else value
    if annotation is bool:
        low = value.lower()
        return True if low in TRUE else False if low in FALSE else value
    if text.startswith("list"):
        return [v.strip() for v in value.replace(",", ";").split(";") if v.strip()]
    return value


class Ledger:
    """What this machine already published, by (source, event_id) and digest."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS published (source TEXT, event_id TEXT, digest TEXT, "
            "PRIMARY KEY (source, event_id))"
        )

    def digest_of(self, source: str, event_id: str) -> str | None:
        row = self.db.execute(
            "SELECT digest FROM published WHERE source = ? AND event_id = ?", (source, event_id)
        ).fetchone()
        return row[0] if row else None

    def record(self, entries: list[tuple[str, str, str]]) -> None:
        with self.db:
            self.db.executemany("INSERT OR IGNORE INTO published VALUES (?, ?, ?)", entries)

    def close(self) -> None:
        self.db.close()


def publish_file(
    path: Path,
    source: str,
    send: Callable[[bytes, bytes], Any],
    flush: Callable[[], None],
    ledger: Ledger,
    progress: Callable[[int], None] = lambda n: None,
    workbook: WorkbookLimits = WorkbookLimits(),
) -> Report:
    report = Report()
    pending: list[tuple[int, Any, tuple[str, str, str]]] = []
    seen: dict[tuple[str, str], str] = {}
    for n, row in read_rows(path, workbook):
        progress(n)
        if isinstance(row, Rejection):
            report.rejected.extend((n, e["field"], e["message"]) for e in row.errors)
            continue
        row.setdefault("source", source)
        row.setdefault("schema_version", 1)
        if row["source"] != source:
            report.rejected.append(
                (n, "source", f"row says {row['source']!r}, publishing as {source!r}")
            )
            continue
        if row.get("event_id", "") == "":  # absent (an explicit null is an error)
            # No id in the file: derive one from the row, so a re-run is recognised.
            body = json.dumps(row, sort_keys=True, ensure_ascii=False).encode()
            row["event_id"] = "row-" + hashlib.sha256(body).hexdigest()[:20]
        try:
            event = parse_object(row)
        except Rejection as r:
            report.rejected.extend((n, e["field"], e["message"]) for e in r.errors)
            continue
        key = (event.source, event.event_id)
        digest = event.digest()
        known = seen.get(key) or ledger.digest_of(*key)
        if known is not None:
            if known == digest:
                report.already += 1
            else:
                report.rejected.append(
                    (n, "event_id", f"{event.event_id} was already published with other content")
                )
            continue
        future = send(event.household_id.encode(), event.model_dump_json().encode())
        seen[key] = digest
        pending.append((n, future, (*key, digest)))
    flush()
    # Only what the broker acknowledged enters the ledger; the rest can be re-run.
    done = []
    for n, future, entry in pending:
        try:
            future.get(timeout=30)
        except Exception as e:
            report.rejected.append((n, "", f"not published: {type(e).__name__}: {e}"))
            continue
        done.append(entry)
    ledger.record(done)
    report.published = len(done)
    return report


def write_report(report: Report, path: Path) -> None:
    """The rejections as CSV (``report_csv``)."""
    path.write_bytes(report_csv(report.rejected))
