"""The ledgers' downloads over HTTP: ``GET /ledgers/{kind}.xlsx`` for the API,
and what the inbox's download shares with it (who may have which area, and
the file as a response).

The county office and the county approver have the whole county (or one
township, asked with ``?township=``); township staff and reviewers their
own township (another is 403); village staff their own village; the help
tasks' ledger needs the tasks' permission. The workbook is written to a
temporary file, sent, and removed: the request holds one page of documents,
never the ledger."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import datetime

from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from domain import countyday
from domain.access import Principal
from services.cases.ledgerbook import Area, LedgerViews, content_disposition, write_ledger
from services.cases.ledgers import LEDGERS, Kind
from services.infra.access import scoped_township, scoped_village
from services.infra.excel import XLSX

# A township's name never holds a NUL (PostgreSQL's text cannot): such a query is 422.
TOWNSHIP = r"^[^\x00]*$"


def ledger_area(who: Principal, kind: Kind, township: str | None) -> Area:
    """The area ``who`` gets when asking for ``township`` (None: their own,
    or the county's); 403 for another township or without the permission."""
    ledger = LEDGERS[kind]
    if not who.may(ledger.permission):
        raise HTTPException(403, f"the {who.role.value} role may not download the {kind} ledger")
    township = scoped_township(who, township or None)
    return Area(township, scoped_village(who, None))


def ledger_file(views: LedgerViews, kind: Kind, area: Area, now: datetime) -> Response:
    """The workbook as a download, its file removed once sent."""
    fd, path = tempfile.mkstemp(prefix="povwatch-ledger-", suffix=".xlsx")
    os.close(fd)
    try:
        write_ledger(views, kind, area, countyday.day(now), path)
    except BaseException:
        os.unlink(path)
        raise
    return FileResponse(
        path,
        media_type=XLSX,
        headers={"Content-Disposition": content_disposition(kind, area, countyday.day(now))},
        background=BackgroundTask(os.unlink, path),
    )


def ledger_routes(
    app: FastAPI,
    views: LedgerViews,
    clock: Callable[[], datetime],
    current: Callable[..., Principal],
) -> None:
    @app.get(
        "/ledgers/{kind}.xlsx",
        tags=["ledgers"],
        response_class=FileResponse,
        responses={200: {"content": {XLSX: {}}, "description": "the ledger's workbook"}},
    )
    def get_ledger(
        kind: Kind,
        township: str | None = Query(None, max_length=200, pattern=TOWNSHIP),
        who: Principal = Depends(current),
    ) -> Response:
        """A ledger (台账) as an Excel workbook: monitoring objects, open
        cases, cleared households or help tasks."""
        return ledger_file(views, kind, ledger_area(who, kind, township), clock())
