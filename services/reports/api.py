"""The monthly report over HTTP: its figures as JSON, its PDF and its charts
(SVG), for the county's accounts (a token, or the inbox's cookie). A request
reads the stored document; the figures are computed by the report's job."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, FastAPI, HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from domain.access import Principal
from domain.task_input import TaskInputError
from schemas.report import MonthlyReportOut, ReportSummary
from services.reports.job import ReportJob

SVG = "image/svg+xml"


def chart_url(month: str, name: str) -> str:
    return f"/reports/monthly/{month}/charts/{name}.svg"


def summary(report: MonthlyReportOut) -> ReportSummary:
    return ReportSummary(
        **report.model_dump(exclude={"charts"}),
        charts={c.name: chart_url(report.month, c.name) for c in report.charts},
    )


def stored(job: ReportJob, month: str, who: Principal) -> MonthlyReportOut:
    """The month's stored report for a county account: 403 for others, 422
    for a malformed month, 404 before the job has computed it."""
    if not who.countywide:
        raise HTTPException(403, "the monthly report is the county office's")
    try:
        report = job.report(month)
    except TaskInputError as e:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("path", "month"), "msg": e.message, "input": month}]
        ) from None
    if report is None:
        raise HTTPException(
            404, f"no report for {month} yet: the daily job computes it, or "
            f"`povwatch report --month {month} --recompute`",
        )  # fmt: skip
    return report


def report_routes(
    app: FastAPI,
    job: ReportJob,
    reader: Callable[..., Principal],
    pdf: Callable[[MonthlyReportOut], bytes],
) -> None:
    @app.get("/reports/monthly/{month}.pdf", tags=["reports"], response_class=Response)
    def report_pdf(month: str, who: Principal = Depends(reader)) -> Response:
        report = stored(job, month, who)
        return Response(
            pdf(report), media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="report-{month}.pdf"'},
        )  # fmt: skip

    @app.get("/reports/monthly/{month}/charts/{name}.svg", tags=["reports"])
    def report_chart(month: str, name: str, who: Principal = Depends(reader)) -> Response:
        chart = stored(job, month, who).chart(name)
        if chart is None:
            raise HTTPException(404, f"no chart {name!r} in the report of {month}")
        # A month's stored charts change only when it is computed again.
        return Response(
            chart.svg, media_type=SVG, headers={"Cache-Control": "private, max-age=300"}
        )

    @app.get("/reports/monthly/{month}", tags=["reports"], response_model=ReportSummary)
    def report_json(month: str, who: Principal = Depends(reader)) -> ReportSummary:
        return summary(stored(job, month, who))
