"""Wiring of the alerts process: what it is made of, built from ``Settings``
and a clock in one place. Every other module receives what it uses (the
alerts application, the tasks view, accounts, a clock, a readiness probe);
none reaches into a service object, so no module imports the one that
imports it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from eventsourcing.persistence import InfrastructureFactory, TrackingRecorder
from eventsourcing.utils import Environment
from fastapi import FastAPI
from prometheus_client.core import Metric

from services.alerts import inbox
from services.alerts.api import create_app
from services.alerts.app import Alerts
from services.alerts.jobs import Jobs, task_gauges
from services.alerts.relay import TaskRelay
from services.alerts.rulefile import DEFAULT_RULES, load_rules
from services.alerts.triggers import TriggerFollower
from services.alerts.views import PostgresTaskView, SQLiteTaskView, TaskView, task_docs
from services.households.app import Households
from services.households.cache import CacheSettings
from services.households.statusview import RiskStatusView
from services.households.statusview import open_view as open_risk_view
from services.infra import kafka, views
from services.infra.access import Accounts, open_accounts
from services.infra.follow import ViewFollower
from services.infra.leadership import Leadership
from services.infra.policyfile import DEFAULT_POLICY, load_policies
from services.infra.settings import Settings


def utcnow() -> datetime:
    return datetime.now(UTC)


def open_alerts(settings: Settings, clock: Callable[[], datetime] = utcnow) -> Alerts:
    rules, policies = load_rules(settings.rules_file), load_policies(settings)
    return settings.open_store(
        lambda: Alerts(settings.store_env("Alerts"), rules, policies, clock), "the alerts store"
    )


def open_task_view(settings: Settings) -> TaskView:
    return settings.open_store(
        lambda: views.open_view(
            settings.store_env("Tasks"), "Tasks", SQLiteTaskView, PostgresTaskView
        ),
        "the tasks view",
    )


def open_relay_position(settings: Settings) -> TrackingRecorder:
    env = settings.store_env("TaskRelay")
    return settings.open_store(
        lambda: InfrastructureFactory.construct(Environment("TaskRelay", env)).tracking_recorder(),
        "the relay position",
    )


@dataclass
class Parts:
    """The alerts process's stores, followers and jobs (no thread started)."""

    settings: Settings
    clock: Callable[[], datetime]
    alerts: Alerts
    households: Households
    tasks: TaskView
    risk: RiskStatusView
    accounts: Accounts
    triggers: TriggerFollower
    task_view: ViewFollower
    relay_position: TrackingRecorder
    jobs: Jobs
    leadership: Leadership

    def close(self) -> None:
        self.alerts.close()
        self.households.close()
        self.accounts.close()
        for v in (self.tasks, self.risk, self.relay_position):
            v.datastore.close()


def build(settings: Settings, clock: Callable[[], datetime] = utcnow) -> Parts:
    households = settings.open_store(lambda: Households(env=settings.store_env("Monitor")))
    alerts = open_alerts(settings, clock)
    tasks = open_task_view(settings)
    risk = settings.open_store(lambda: open_risk_view(settings), "the risk status view")
    return Parts(
        settings=settings,
        clock=clock,
        alerts=alerts,
        households=households,
        tasks=tasks,
        risk=risk,
        accounts=open_accounts(settings),
        triggers=TriggerFollower(
            households, alerts, CacheSettings(spill_bytes=settings.alerts_cache_mb << 20)
        ),
        task_view=ViewFollower(alerts, tasks, lambda notes: task_docs(alerts.task, notes), "tasks"),
        relay_position=open_relay_position(settings),
        jobs=Jobs(alerts, tasks, risk, households, clock),
        leadership=Leadership(settings, "alerts"),
    )


def relay(parts: Parts) -> TaskRelay:
    return TaskRelay(parts.settings, parts.alerts, parts.relay_position)


def readiness(parts: Parts) -> Callable[[], str | None]:
    """None when the stores and the broker answer, else why not."""

    def probe() -> str | None:
        try:
            parts.triggers.position()
            parts.households.recorder.max_notification_id()
        except Exception as e:
            return f"store unreachable: {type(e).__name__}"
        return None if kafka.reachable(parts.settings) else "Kafka broker unreachable"

    return probe


def web_app(parts: Parts, lags: Callable[[], dict[str, int]]) -> FastAPI:
    """The HTTP API with the township inbox under /inbox."""

    def gauges() -> Iterable[Metric]:
        return task_gauges(parts.tasks, parts.clock, lags)

    app = create_app(
        alerts=parts.alerts,
        tasks=parts.tasks,
        accounts=parts.accounts,
        clock=parts.clock,
        ready=readiness(parts),
        gauges=gauges,
    )
    inbox.install(
        app,
        alerts=parts.alerts,
        tasks=parts.tasks,
        risk=parts.risk,
        history=parts.households.history,
        accounts=parts.accounts,
        clock=parts.clock,
        secure_cookies=parts.settings.cookie_secure,
    )
    return app


def reload_rules(parts: Parts) -> None:
    """Reads the rules and policy files again (raises on a bad one, and the
    running rules stay as they were)."""
    rules, policies = load_rules(parts.settings.rules_file), load_policies(parts.settings)
    parts.alerts.rules, parts.alerts.policies = rules, policies


class ConfigWatch:
    """Reloads when a configuration file changes on disk."""

    def __init__(self, settings: Settings, reload: Callable[[], object]) -> None:
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


def scheduler(
    settings: Settings, run_if_leading: Callable[[str], int], reload: Callable[[], object]
) -> BackgroundScheduler:
    """The jobs' schedule (each runs only where this process leads) and the
    configuration files' watch."""
    s = BackgroundScheduler(timezone="Asia/Shanghai")
    s.add_job(run_if_leading, "interval", hours=1, args=["escalate"], id="escalate")
    s.add_job(run_if_leading, "cron", hour=1, args=["reassess"], id="reassess")
    s.add_job(run_if_leading, "cron", hour=2, args=["clearance"], id="clearance")
    s.add_job(ConfigWatch(settings, reload).check, "interval", seconds=15, id="config")
    return s
