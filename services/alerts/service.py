"""The alerts process: triggers from the households' store become help tasks;
tasks are projected into their view and published to townships; scheduled
jobs sweep deadlines, re-assess households as dates move, and propose risk
clearance reviews."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import uvicorn
from apscheduler.schedulers.background import BackgroundScheduler
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from services.alerts.app import Alerts
from services.alerts.relay import TaskRelay
from services.alerts.rulefile import load_rules
from services.alerts.triggers import TriggerFollower
from services.alerts.views import PostgresTaskView, SQLiteTaskView, TaskView, task_docs
from services.households.app import Households
from services.households.cache import CacheSettings
from services.infra import kafka, metrics, views
from services.infra.access import open_accounts
from services.infra.follow import ViewFollower
from services.infra.leadership import Leadership
from services.infra.metrics import TRIGGERS
from services.infra.settings import Settings
from services.monitor.riskstatus import load_policies
from services.monitor.riskstatus import open_view as open_risk_view

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


def open_task_view(settings: Settings) -> TaskView:
    return views.open_view(settings.store_env("Tasks"), "Tasks", SQLiteTaskView, PostgresTaskView)


class ConfigWatch:
    """Reloads when a configuration file changes on disk."""

    def __init__(self, settings: Settings, reload: Callable[[], str | None]) -> None:
        from services.alerts.rulefile import DEFAULT_RULES
        from services.monitor.riskstatus import DEFAULT_POLICY

        self.paths = [settings.rules_file or DEFAULT_RULES, settings.policy_file or DEFAULT_POLICY]
        self.reload = reload
        self.seen = self._stamps()

    def _stamps(self) -> list[float]:
        return [p.stat().st_mtime if p.exists() else 0.0 for p in self.paths]

    def check(self) -> None:
        stamps = self._stamps()
        if stamps != self.seen:
            self.seen = stamps
            self.reload()


class AlertsService:
    def __init__(
        self, settings: Settings, clock: Callable[[], datetime] = utcnow, http: bool = False
    ) -> None:
        self.settings, self.clock, self.http = settings, clock, http
        rules, policies = load_rules(settings.rules_file), load_policies(settings)
        self.households = settings.open_store(lambda: Households(env=settings.store_env("Monitor")))
        self.alerts = settings.open_store(
            lambda: Alerts(settings.store_env("Alerts"), rules, policies, clock), "the alerts store"
        )
        self.tasks = settings.open_store(lambda: open_task_view(settings), "the tasks view")
        self.risk = settings.open_store(lambda: open_risk_view(settings), "the risk status view")
        self.accounts = open_accounts(settings)
        self.triggers = TriggerFollower(
            self.households, self.alerts, CacheSettings(spill_bytes=settings.alerts_cache_mb << 20)
        )
        self.task_view = ViewFollower(
            self.alerts, self.tasks, lambda notes: task_docs(self.alerts.task, notes), "tasks"
        )
        relay_env = settings.store_env("TaskRelay")
        self.relay_position = settings.open_store(
            lambda: InfrastructureFactory.construct(
                Environment("TaskRelay", relay_env)
            ).tracking_recorder(),
            "the relay position",
        )
        self.relay: TaskRelay | None = None
        self.scheduler: BackgroundScheduler | None = None
        self.server: uvicorn.Server | None = None
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []
        self.leadership = Leadership(settings, "alerts")
        self.leading = threading.Event()

    # -- scheduled jobs (each records its period; a second run is a no-op) ------

    def escalate(self) -> int:
        now = self.clock()
        period = now.date().toordinal()
        if self.alerts.job_done("escalate", period):
            return 0
        open_ids = [UUID(t.task_id) for t in self._all_tasks(phase="open")]
        changed = self.alerts.escalations(open_ids, now.date())
        return len(changed) if self.alerts.finish_job("escalate", period, *changed) else 0

    def reassess(self) -> int:
        now = self.clock()
        period = now.date().toordinal()
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
        now = self.clock()
        period = now.date().toordinal()
        if self.alerts.job_done("clearance", period):
            return 0
        households = {t.household_id for t in self._all_tasks(phase="closed")}
        opened = 0
        for hid in sorted(households):
            household = self.households.household(hid)
            if household is not None and self.alerts.review_if_stable(household, now):
                opened += 1
        self.alerts.finish_job("clearance", period)
        return opened

    JOB_NAMES = ("escalate", "reassess", "clearance")

    def reload_config(self) -> str | None:
        """Reads the rules and policy files again. A bad file is refused
        with its line and reason, and the running rules stay as they were;
        returns that reason, or None when the new files are in force."""
        try:
            rules, policies = load_rules(self.settings.rules_file), load_policies(self.settings)
        except (OSError, ValueError) as e:
            log.error("configuration not reloaded, keeping the last good one: %s", e)
            return str(e)
        self.alerts.rules, self.alerts.policies = rules, policies
        log.info("configuration reloaded")
        return None

    def run_job(self, name: str) -> int:
        return metrics.run_job(name, getattr(self, name))

    def run_job_if_leading(self, name: str) -> int:
        return self.run_job(name) if self.leading.is_set() else 0

    def collect_metrics(self):
        """Gauges from the tasks view, read at scrape time."""
        today = self.clock().date()
        now = self.clock()
        by_status: dict[tuple[str, str], int] = {}
        overdue: dict[str, int] = {}
        oldest: dict[str, float] = {}
        for t in self._all_tasks(phase="open"):
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
        lags = {"alert_triggers": self.triggers.lag(), "tasks": self.task_view.lag()}
        if self.relay is not None:
            lags["task_relay"] = self.relay.lag()
        yield metrics.projection_lag(lags)

    def _all_tasks(self, **filters: Any) -> list:
        items, offset = [], 0
        while True:
            page = self.tasks.search(limit=500, offset=offset, **filters)
            items.extend(page.items)
            offset += 500
            if offset >= page.total:
                return items

    # -- running -----------------------------------------------------------------

    def catch_up(self) -> None:
        """Processes everything pending once (tests and the demo use it)."""
        while self.triggers.run_once() or self.task_view.run_once():
            pass

    def start(self, relay: bool = True, schedule: bool = False) -> AlertsService:
        if self.threads:  # already running (entered after an explicit start)
            return self
        kafka.ensure_topics(self.settings)
        # Several alerts processes may run; one leads, the others stand by.
        leading = self.leading
        targets: list[Callable[[], None]] = [
            lambda: self.leadership.watch(leading, self.stop_event),
            lambda: self.triggers.follow(self.stop_event, leading=leading),
            lambda: self.task_view.follow(self.stop_event, leading=leading),
        ]
        if relay:
            self.relay = TaskRelay(self.settings, self.alerts, self.relay_position)
            targets.append(lambda: self.relay.follow(self.stop_event, leading=leading))
        if self.http:
            from services.alerts.api import create_app

            self.server = uvicorn.Server(
                uvicorn.Config(
                    create_app(self),
                    host="0.0.0.0",
                    port=self.settings.alerts_port,
                    log_level="warning",
                )
            )
            targets.append(self.server.run)
        self.threads = [threading.Thread(target=t, daemon=True) for t in targets]
        for t in self.threads:
            t.start()
        if schedule:
            self.scheduler = BackgroundScheduler(timezone="Asia/Shanghai")
            job = self.run_job_if_leading
            self.scheduler.add_job(job, "interval", hours=1, args=["escalate"], id="escalate")
            self.scheduler.add_job(job, "cron", hour=1, args=["reassess"], id="reassess")
            self.scheduler.add_job(job, "cron", hour=2, args=["clearance"], id="clearance")
            self.scheduler.add_job(
                ConfigWatch(self.settings, self.reload_config).check,
                "interval",
                seconds=15,
                id="config",
            )
            self.scheduler.start()
        log.info("alerts running: store=%s", self.settings.store)
        return self

    def stop(self) -> None:
        self.stop_event.set()
        if self.scheduler:
            self.scheduler.shutdown(wait=False)
        if self.server:
            self.server.should_exit = True
        for t in self.threads:
            t.join(timeout=30)
        self.alerts.close()
        self.households.close()
        self.accounts.close()
        for v in (self.tasks, self.risk, self.relay_position):
            v.datastore.close()

    def __enter__(self) -> AlertsService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
