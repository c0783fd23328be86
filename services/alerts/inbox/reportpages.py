"""The monthly report's page in the inbox, for the county office: a month
picked with a GET form (no JavaScript), the stored figures' tables, the
charts as images and a link to the PDF. Same access as the API
(services/reports/api.py): the county's accounts only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from domain import countyday
from domain.access import Principal
from domain.report import month_days, month_of, previous_month
from domain.task_input import TaskInputError
from services.alerts.inbox.pages import NotSignedIn, page
from services.infra.access import COOKIE, Accounts
from services.reports.api import chart_url
from services.reports.job import ReportJob


def router(job: ReportJob, accounts: Accounts, clock: Callable[[], datetime]) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    def county(request: Request) -> Principal:
        session = request.cookies.get(COOKIE)
        who = accounts.session(session) if session else None
        if who is None:
            raise NotSignedIn
        if not who.countywide:
            raise HTTPException(403, "the monthly report is the county office's")
        return who

    @pages.get("/inbox/reports/monthly", response_class=HTMLResponse)
    def monthly(request: Request, month: str | None = None) -> Response:
        who = county(request)
        today = countyday.day(clock())
        # The last month by default: its final figures are what goes upwards.
        chosen = month or previous_month(month_of(today))
        try:
            month_days(chosen)
        except TaskInputError:
            return page(
                request, "report.html", 422, who=who, month=chosen, report=None, bad_month=True,
                today=today,
            )  # fmt: skip
        report = job.report(chosen)
        return page(
            request, "report.html", 200 if report else 404, who=who, month=chosen, report=report,
            bad_month=False, chart_url=chart_url, today=today,
        )  # fmt: skip

    return pages
