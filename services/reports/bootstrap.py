"""The monthly report's parts, built from ``Settings`` for the alerts
process and the CLI: its store, its job with the list of sections, its PDF.

The sections are the providers below, in the order printed, the
departments' feed health last."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from schemas.report import MonthlyReportOut
from services.infra.settings import Settings
from services.presentation.fonts import find_font
from services.presentation.words import Term
from services.reports import sections
from services.reports.feedsection import feeds
from services.reports.job import ReportJob
from services.reports.loansection import loans
from services.reports.pdf import report_pdf
from services.reports.povertysection import poverty_changes
from services.reports.standardsection import standard
from services.reports.store import open_reports


def providers(
    risk: Any, case_list: Any, monitoring: Any, feed: Callable[[str], Any] | None = None
) -> list[sections.Provider]:
    """``feed``: the departments' feed health of a month (services/feeds/health.py)."""
    out = [
        sections.households(risk),
        sections.monitoring(monitoring),
        poverty_changes(risk),
        sections.leads(case_list),
        sections.stages(case_list),
        sections.measures(monitoring),
        loans(risk),
        standard(risk, case_list),
    ]
    return out + [feeds(feed)] if feed is not None else out


def open_report_job(
    settings: Settings,
    risk: Any,
    case_list: Any,
    monitoring: Any,
    clock: Callable[[], datetime],
    term: Term,
    word: Callable[[str], str],
    feed: Callable[[str], Any] | None = None,
) -> ReportJob:
    """``term`` and ``word``: the Chinese words of codes and phrases (the
    inbox's catalogue), which the stored tables and charts are written in."""
    return ReportJob(
        open_reports(settings), providers(risk, case_list, monitoring, feed), clock, term, word,
        partial(find_font, settings.pdf_font),
    )  # fmt: skip


def report_pdf_of(settings: Settings) -> Callable[[MonthlyReportOut], bytes]:
    return lambda report: report_pdf(report, find_font(settings.pdf_font))
