"""The cases' scheduled jobs: overdue stages escalated, monitoring objects
proposed for risk clearance. Each records its day in the cases store with the
events it produced, so a second run of the same day is a no-op; only the
leading alerts process runs them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID

from prometheus_client.core import Metric

from domain import countyday
from domain.clearance import kind_of, why_not_cleared
from domain.risk import RiskStatus
from services.cases.app import Cases
from services.cases.views import CaseView, MonitoringView
from services.infra import metrics

NAMES = ("case_escalate", "case_clearance")


class Assessed(NamedTuple):
    """A household's risk now, its per-capita income over the procedure's
    stable months (annualised), and the income line in force."""

    status: RiskStatus
    stable: Decimal | None
    line: Decimal


def every(view: Any, **filters: Any) -> Iterator[Any]:
    offset = 0
    while True:
        page = view.search(limit=500, offset=offset, **filters)
        yield from page.items
        offset += 500
        if offset >= page.total:
            return


class CaseJobs:
    def __init__(
        self,
        cases: Cases,
        case_view: CaseView,
        monitoring: MonitoringView,
        assess: Callable[[str, datetime], Assessed | None],
        clock: Callable[[], datetime],
    ) -> None:
        """``assess``: a household's risk, stable income and income line now."""
        self.cases, self.case_view, self.monitoring = cases, case_view, monitoring
        self.assess, self.clock = assess, clock

    def households_with_open_cases(self) -> set[str]:
        return {c.household_id for c in every(self.case_view, phase="open")}

    def case_escalate(self) -> int:
        now = self.clock()
        period = countyday.day(now).toordinal()
        if self.cases.job_done("case_escalate", period):
            return 0
        ids = [UUID(c.case_id) for c in every(self.case_view, phase="open")]
        changed = self.cases.escalations(ids, countyday.day(now))
        return len(changed) if self.cases.finish_job("case_escalate", period, *changed) else 0

    def case_clearance(self) -> int:
        """A clearance case for each monitoring object that meets the rule."""
        now = self.clock()
        period = countyday.day(now).toordinal()
        if self.cases.job_done("case_clearance", period):
            return 0
        rule, opened = self.cases.procedure.clearance, 0
        for doc in list(every(self.monitoring, status="monitored")):
            record = self.cases.record(doc.household_id)
            found = self.assess(doc.household_id, now)
            if record is None or found is None or record.open_plan_tasks():
                continue  # an open plan task: a new risk not yet answered
            status, stable, line = found
            if why_not_cleared(record, status, stable, line, rule, countyday.day(now)) is None:
                self.cases.propose_clearance(
                    doc.household_id, None, "stable above the line", kind_of(record, rule)
                )
                opened += 1
        self.cases.finish_job("case_clearance", period)
        return opened


def case_gauges(view: CaseView, today: date) -> Iterator[Metric]:
    """Open cases by township and stage, and overdue stages by township,
    from the cases view's indexed columns at scrape time."""
    counts = view.counts("township", "stage", "phase")
    yield metrics.gauge(
        "povwatch_cases_open",
        "Open cases of the monitoring procedure, by township and stage",
        ["township", "stage"],
        (
            ([t or "unknown", stage or "-"], n)
            for (t, stage, phase), n in counts.items()
            if phase == "open"
        ),
    )
    overdue = view.counts("township", before=today.isoformat(), phase="open")
    yield metrics.gauge(
        "povwatch_case_stages_overdue",
        "Open cases whose stage is past its deadline, by township",
        ["township"],
        # Every township with open cases, 0 where none is late (a steady series).
        (
            ([t or "unknown"], overdue.get((t,), 0))
            for t in {t for (t, _, phase) in counts if phase == "open"}
        ),
    )
