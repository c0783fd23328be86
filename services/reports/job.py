"""The monthly report's job: each day the leading alerts process computes
the running month's figures so far (once a day) and, from the month's end,
the last month's final figures (once a month); each run records its period
with the document it wrote. An operator recomputes any month on demand
(``povwatch report --month YYYY-MM --recompute``), which replaces the
document and leaves the periods alone."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from domain import countyday
from domain.report import month_days, month_index, month_of, previous_month
from schemas.report import MonthlyReportOut, ReportChart, ReportSection
from services.reports.sections import Provider, ReportContext
from services.reports.store import DAILY, JOB, ReportView, save

log = logging.getLogger(__name__)


class ReportJob:
    def __init__(
        self,
        view: ReportView,
        providers: Sequence[Provider],
        clock: Callable[[], datetime],
        term: Callable[[str, str | None], str],
        word: Callable[[str], str],
        font: Callable[[], Path],
    ) -> None:
        """``providers``: the report's sections, in the order printed; the
        departments' feed health is added to this list where it is built."""
        self.view, self.providers, self.clock = view, list(providers), clock
        self.term, self.word, self.font = term, word, font

    def compute(self, month: str) -> MonthlyReportOut:
        """The month's figures now (a finished month as of its last day, the
        running month as of today)."""
        _, last = month_days(month)
        now = self.clock()
        today = countyday.day(now)
        started = time.perf_counter()
        ctx = ReportContext(month, min(last, today), self.term, self.word, self.font())
        sections: list[ReportSection] = []
        charts: list[ReportChart] = []
        for provide in self.providers:
            section, drawn = provide(ctx)
            sections.append(section)
            charts.extend(drawn)
        seconds = time.perf_counter() - started
        log.info("monthly report %s computed in %.1f s", month, seconds)
        return MonthlyReportOut(
            month=month, as_of=ctx.as_of, computed_at=now, compute_seconds=round(seconds, 3),
            final=today > last, sections=sections, charts=charts,
        )  # fmt: skip

    def run(self) -> int:
        """The scheduled job: reports written (0 when both periods were done)."""
        today = countyday.day(self.clock())
        written = 0
        last_month = previous_month(month_of(today))
        if not self.view.has_tracking_id(JOB, month_index(last_month)):
            written += save(self.view, self.compute(last_month), JOB, month_index(last_month))
        if not self.view.has_tracking_id(DAILY, today.toordinal()):
            written += save(self.view, self.compute(month_of(today)), DAILY, today.toordinal())
        return written

    def recompute(self, month: str) -> MonthlyReportOut:
        report = self.compute(month)
        save(self.view, report, None, 0)
        return report

    def report(self, month: str) -> MonthlyReportOut | None:
        month_days(month)  # a 422 for a malformed month
        return self.view.get(month)

    def latest(self) -> MonthlyReportOut | None:
        """The newest month's report stored (the county overview's charts)."""
        months = self.view.counts("as_of")  # one row per month: a small table
        total = sum(months.values())
        found = self.view.search(limit=1, offset=total - 1) if total else None
        return found.items[0] if found and found.items else None
