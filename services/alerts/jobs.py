"""The alerts process's scheduled jobs (the cases' among them) and its gauges.

Each job records its period (a day) in the alerts store with the events it
produced, so a second run of the same day, here or after a restart, is a
no-op; only the leading process runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from prometheus_client.core import Metric

from domain import countyday
from schemas.tasks import TaskOut
from services.alerts.app import Alerts
from services.alerts.views import TaskView
from services.cases.jobs import CaseJobs
from services.households.app import Households
from services.households.statusview import RiskStatusView
from services.infra import metrics
from services.infra.metrics import TRIGGERS

NAMES = ("escalate", "reassess", "clearance", "case_escalate", "monthly_report")


def all_tasks(tasks: TaskView, **filters: Any) -> list[TaskOut]:
    items: list[TaskOut] = []
    offset = 0
    while True:
        page = tasks.search(limit=500, offset=offset, **filters)
        items.extend(page.items)
        offset += 500
        if offset >= page.total:
            return items


class Jobs:
    def __init__(
        self,
        alerts: Alerts,
        tasks: TaskView,
        risk: RiskStatusView,
        households: Households,
        clock: Callable[[], datetime],
        case_jobs: CaseJobs,
        monthly_report: Callable[[], int] = lambda: 0,
        more: Mapping[str, Callable[[], int]] | None = None,
    ) -> None:
        """``monthly_report``: the monthly report's job (services/reports/job.py);
        ``more``: other parts' jobs by name (the pushes' dispatcher)."""
        self.alerts, self.tasks, self.risk = alerts, tasks, risk
        self.households, self.clock, self.case_jobs = households, clock, case_jobs
        self.monthly_report = monthly_report
        self.more = dict(more or {})

    def run(self, name: str) -> int:
        if name in self.more:
            return metrics.run_job(name, self.more[name])
        if name not in NAMES:
            raise ValueError(f"no job {name!r}")
        job: Callable[[], int] = getattr(self, name)
        return metrics.run_job(name, job)

    def escalate(self) -> int:
        """Open tasks past a deadline are escalated, once a day."""
        now = self.clock()
        period = countyday.day(now).toordinal()
        if self.alerts.job_done("escalate", period):
            return 0
        # A task whose household has an open case is that case's lead: the
        # case's stages carry the deadlines now, and escalate on their own.
        in_cases = self.case_jobs.households_with_open_cases()
        open_ids = [
            UUID(t.task_id)
            for t in all_tasks(self.tasks, phase="open")
            if t.household_id not in in_cases
        ]
        changed = self.alerts.escalations(open_ids, countyday.day(now))
        return len(changed) if self.alerts.finish_job("escalate", period, *changed) else 0

    def reassess(self) -> int:
        """Every household the risk view lists is handled again: dates move
        (a loan falls overdue, an income report goes stale) without new facts."""
        now = self.clock()
        period = countyday.day(now).toordinal()
        if self.alerts.job_done("reassess", period):
            return 0
        n, offset = 0, 0
        while True:
            page = self.risk.search(limit=500, offset=offset)
            for status in page.items:
                household = self.households.household(status.household_id)
                if household is not None:
                    TRIGGERS.labels(self.alerts.handle(household)).inc()
                    n += 1
            offset += 500
            if offset >= page.total:
                break
        self.alerts.finish_job("reassess", period)
        return n

    def clearance(self) -> int:
        """Monitoring objects that meet the clearance rule get a clearance case."""
        return self.case_jobs.case_clearance()

    def case_escalate(self) -> int:
        """Cases whose stage is past its deadline are escalated, once a day."""
        return self.case_jobs.case_escalate()


def task_gauges(
    tasks: TaskView, clock: Callable[[], datetime], lags: Callable[[], dict[str, int]]
) -> Iterator[Metric]:
    """Gauges from the tasks view, read at scrape time, and the followers' lags."""
    now = clock()
    today = countyday.day(now)
    by_status: dict[tuple[str, str], int] = {}
    overdue: dict[str, int] = {}
    oldest: dict[str, float] = {}
    for t in all_tasks(tasks, phase="open"):
        township = t.township or "unknown"
        by_status[(township, t.status)] = by_status.get((township, t.status), 0) + 1
        if t.next_due is not None and t.next_due < today:
            overdue[township] = overdue.get(township, 0) + 1
        age = max((now - t.created_at).total_seconds(), 0.0)
        oldest[township] = max(oldest.get(township, 0.0), age)
    yield metrics.gauge(
        "povwatch_tasks_open",
        "Open help tasks by township and status",
        ["township", "status"],
        ((list(k), v) for k, v in by_status.items()),
    )
    yield metrics.gauge(
        "povwatch_tasks_overdue",
        "Open help tasks past a deadline, by township",
        ["township"],
        (([k], v) for k, v in overdue.items()),
    )
    yield metrics.gauge(
        "povwatch_task_oldest_open_age_seconds",
        "Age of the oldest open help task, by township",
        ["township"],
        (([k], v) for k, v in oldest.items()),
    )
    yield metrics.projection_lag(lags())
