"""The monthly reports' read model: one document per month, written by the
report's job with the job's period (a tracking record) in the same
transaction, so the month a restart finds recorded is not computed again."""

from __future__ import annotations

from eventsourcing.persistence import Tracking

from schemas.report import MonthlyReportOut
from services.infra import views
from services.infra.settings import Settings
from services.infra.views import PostgresDocumentView, SQLiteDocumentView, Table

REPORTS = Table(
    name="monthly_reports",
    key="month",
    columns=("as_of",),
    model=MonthlyReportOut,
    order="month",
)
JOB = "job:monthly_report"  # the final figures of a month, once (period: the month's index)
DAILY = "job:monthly_report_daily"  # the running month's figures, once a day (the day's ordinal)


class SQLiteReportView(SQLiteDocumentView[MonthlyReportOut]):
    table = REPORTS


class PostgresReportView(PostgresDocumentView[MonthlyReportOut]):
    table = REPORTS


ReportView = SQLiteReportView | PostgresReportView


def open_reports(settings: Settings) -> ReportView:
    return settings.open_store(  # type: ignore[no-any-return]
        lambda: views.open_view(
            settings.store_env("MonthlyReports"), "MonthlyReports",
            SQLiteReportView, PostgresReportView,
        ),
        "the monthly reports",
    )  # fmt: skip


def save(view: ReportView, report: MonthlyReportOut, job: str | None, period: int) -> bool:
    """Stores the report, with the job's period when ``job`` is given; False
    (nothing written) when that period was recorded already."""
    if job is not None and view.has_tracking_id(job, period):
        return False
    view.save([report], Tracking(job, period) if job is not None else None)
    return True
