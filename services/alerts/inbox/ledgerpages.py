"""The ledgers' page in the inbox: each ledger an account may download, for
its own area (township staff: their township; the county office: the whole
county or any one township), and the downloads themselves. Another
township's ledger is 403, answered with the inbox's Chinese page. Same rules
as the API (services/cases/ledgerapi.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from domain import countyday
from domain.access import Permission, Principal
from services.alerts.inbox.pages import page, signed_in_page
from services.cases.ledgerapi import TOWNSHIP, ledger_area, ledger_file
from services.cases.ledgerbook import LedgerViews
from services.cases.ledgers import KINDS, LEDGERS
from services.infra.access import Accounts


def router(views: LedgerViews, accounts: Accounts, clock: Callable[[], datetime]) -> APIRouter:
    pages = APIRouter(prefix="/inbox", include_in_schema=False)

    def user(request: Request) -> Principal:
        who = signed_in_page(accounts, request)
        if not who.may(Permission.READ_CASES):
            raise HTTPException(403, "role has no ledgers")
        return who

    @pages.get("/ledgers", response_class=HTMLResponse)
    def ledgers(request: Request) -> Response:
        who = user(request)
        townships: list[str] = []
        if who.countywide:
            counts = views.monitoring.counts("township") | views.case_list.counts("township")
            townships = sorted({k[0] for k in counts if k[0] is not None})
        return page(
            request, "ledgers.html", who=who, today=countyday.day(clock()), townships=townships,
            kinds=[k for k in KINDS if who.may(LEDGERS[k].permission)],
        )  # fmt: skip

    @pages.get("/ledgers/{kind}.xlsx")
    def download(
        request: Request,
        kind: str,
        township: str | None = Query(None, max_length=200, pattern=TOWNSHIP),
    ) -> Response:
        who = user(request)
        if kind not in LEDGERS:
            raise HTTPException(404, "no such ledger")
        return ledger_file(views, kind, ledger_area(who, kind, township), clock())  # type: ignore[arg-type]

    return pages
