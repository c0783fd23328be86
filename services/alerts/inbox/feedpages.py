"""A department's page in the inbox: its own messages that the monitor
dead-lettered, each with its reasons in Chinese naming the field, this
month's figures, and the download of the same CSV ``povwatch publish``
writes (row, field, reason). A publisher sees its own source only: the
source is its account's, never a parameter."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from domain.access import Permission, Principal
from domain.feeds import month_of
from schemas.feeds import RejectionOut
from services.alerts.inbox.pages import page, signed_in_page
from services.feeds.api import feed_routes
from services.feeds.health import feed_health
from services.infra.access import Accounts, allowed, signed_in
from services.infra.rejectioncsv import report_csv
from services.infra.views import MAX_OFFSET

PAGE = 50
MOST_IN_A_FILE = 100_000


def csv_rows(rejections: list[RejectionOut]) -> list[tuple[int, str, str]]:
    """One line per problem; ``row`` numbers the messages as the page does (1: the newest)."""
    return [
        (n, p.field, f"{p.reason_zh} ({p.message})" if p.message else p.reason_zh)
        for n, r in enumerate(rejections, 1)
        for p in r.problems
    ]


def router(parts: Any, accounts: Accounts, clock: Callable[[], datetime]) -> APIRouter:
    pages = APIRouter(prefix="/inbox", include_in_schema=False)

    def publisher(request: Request) -> Principal:
        who = signed_in_page(accounts, request)
        if not who.may(Permission.PUBLISH) or who.source is None:
            raise HTTPException(403, "only a department's account has this page")
        return who

    @pages.get("/feed", response_class=HTMLResponse)
    def own_feed(request: Request, offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> Response:
        who = publisher(request)
        now = clock()
        health = feed_health(parts.views, month_of(now), now=now, book=parts.book)
        mine = next((s for s in health.sources if s.source == who.source), None)
        found = parts.views.rejections.search(limit=PAGE, offset=offset, source=who.source)
        return page(
            request,
            "feed.html",
            who=who,
            figures=mine,
            month=health.month,
            rejections=found.items,
            total=found.total,
            offset=offset,
            limit=PAGE,
        )

    @pages.get("/feed/rejections.csv")
    def own_rejections_csv(request: Request) -> Response:
        who = publisher(request)
        found = parts.views.rejections.search(limit=MOST_IN_A_FILE, source=who.source)
        return Response(
            report_csv(csv_rows(found.items)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{who.source}.rejections.csv"'},
        )

    return pages


def install(app: FastAPI, parts: Any) -> None:
    """The department's page and the operators' ``GET /feeds`` on the alerts
    process's app (``parts``: ``services.alerts.bootstrap.Parts``)."""
    app.include_router(router(parts.feeds, parts.accounts, parts.clock))
    operator = allowed(signed_in(parts.accounts), Permission.READ_OPERATIONS)
    app.include_router(feed_routes(parts.feeds, parts.risk, parts.clock, operator))
