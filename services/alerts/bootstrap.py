"""Wiring of the alerts process: what it is made of, built from ``Settings``
and a clock in one place. Every other module receives what it uses (the
alerts application, the tasks view, accounts, a clock, a readiness probe);
none reaches into a service object, so no module imports the one that
imports it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any
from uuid import UUID

from apscheduler.schedulers.background import BackgroundScheduler
from eventsourcing.persistence import InfrastructureFactory, TrackingRecorder
from eventsourcing.utils import Environment
from fastapi import FastAPI
from prometheus_client.core import Metric

from domain.cases import Case
from domain.policy import PolicyBook
from domain.procedure import Procedure
from domain.risk import RiskStatus
from domain.rules import RuleBook
from domain.task_input import TaskError
from domain.whatif import Regime
from domain.workdays import WorkCalendar
from schemas.cases import NoticeOut
from services.alerts import inbox
from services.alerts.api import create_app
from services.alerts.app import Alerts
from services.alerts.inbox import casepages, whatifpages
from services.alerts.jobs import Jobs, task_gauges
from services.alerts.relay import TaskRelay
from services.alerts.rulefile import DEFAULT_RULES, load_rules
from services.alerts.triggers import TriggerFollower
from services.alerts.views import (
    PostgresTaskView,
    SQLiteTaskView,
    TaskView,
    is_task_event,
    task_docs,
)
from services.cases.api import case_routes
from services.cases.app import Cases
from services.cases.jobs import CaseJobs, case_gauges
from services.cases.leads import LeadFollower
from services.cases.notice import find_font, notice_pdf
from services.cases.relay import CaseRelay
from services.cases.views import (
    CaseView,
    MonitoringView,
    PostgresCaseView,
    PostgresMonitoringView,
    SQLiteCaseView,
    SQLiteMonitoringView,
    docs,
)
from services.households.app import Households
from services.households.cache import CacheSettings
from services.households.statusview import RiskStatusView
from services.households.statusview import open_view as open_risk_view
from services.infra import kafka, views
from services.infra.access import Accounts, open_accounts, signed_in
from services.infra.follow import ViewFollower
from services.infra.leadership import Leadership
from services.infra.policyfile import DEFAULT_POLICY, load_policies
from services.infra.procedurefile import DEFAULT_PROCEDURE, load_procedure
from services.infra.runner import LogRunner
from services.infra.settings import Settings
from services.infra.workcalendar import calendar_gauges, work_calendar
from services.whatif.jobs import Runs


def utcnow() -> datetime:
    return datetime.now(UTC)


def configuration(settings: Settings) -> tuple[RuleBook, PolicyBook, Procedure, WorkCalendar]:
    """The rules, policy and procedure files, and the working-day calendar
    both tasks and cases count deadlines on (the rules file's holidays are
    local days off on top of the procedure file's)."""
    rules, policies = load_rules(settings.rules_file), load_policies(settings)
    procedure = load_procedure(settings.procedure_file)
    return rules, policies, procedure, work_calendar(procedure, rules.holidays)


def open_alerts(settings: Settings, clock: Callable[[], datetime] = utcnow) -> Alerts:
    rules, policies, _, calendar = configuration(settings)
    return settings.open_store(
        lambda: Alerts(settings.store_env("Alerts"), rules, policies, clock, calendar),
        "the alerts store",
    )


def open_cases(settings: Settings, clock: Callable[[], datetime] = utcnow) -> Cases:
    _, _, procedure, calendar = configuration(settings)
    return settings.open_store(
        lambda: Cases(settings.store_env("Cases"), procedure, calendar, clock), "the cases store"
    )


def open_case_views(settings: Settings) -> tuple[CaseView, MonitoringView]:
    def make(name: str, sqlite: type, postgres: type):  # type: ignore[no-untyped-def]
        return settings.open_store(
            lambda: views.open_view(settings.store_env(name), name, sqlite, postgres),
            f"the {name.lower()} view",
        )

    return (
        make("CaseList", SQLiteCaseView, PostgresCaseView),
        make("MonitoringList", SQLiteMonitoringView, PostgresMonitoringView),
    )


def open_task_view(settings: Settings) -> TaskView:
    return settings.open_store(
        lambda: views.open_view(
            settings.store_env("Tasks"), "Tasks", SQLiteTaskView, PostgresTaskView
        ),
        "the tasks view",
    )


def open_relay_position(settings: Settings, name: str = "TaskRelay") -> TrackingRecorder:
    env = settings.store_env(name)
    return settings.open_store(
        lambda: InfrastructureFactory.construct(Environment(name, env)).tracking_recorder(),
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
    cases: Cases
    case_list: CaseView
    monitoring: MonitoringView
    leads: LeadFollower
    case_followers: list[ViewFollower]
    case_relay_position: TrackingRecorder
    case_jobs: CaseJobs

    def close(self) -> None:
        self.alerts.close()
        self.cases.close()
        self.households.close()
        self.accounts.close()
        for v in (
            self.tasks, self.risk, self.relay_position, self.case_list, self.monitoring,
            self.case_relay_position,
        ):  # fmt: skip
            v.datastore.close()

    def followers(self) -> list[LogRunner[Any]]:
        """Every log follower the leading process runs, relays aside."""
        return [self.triggers, self.task_view, self.leads, *self.case_followers]


def build(settings: Settings, clock: Callable[[], datetime] = utcnow) -> Parts:
    households = settings.open_store(lambda: Households(env=settings.store_env("Monitor")))
    alerts = open_alerts(settings, clock)
    tasks = open_task_view(settings)
    risk = settings.open_store(lambda: open_risk_view(settings), "the risk status view")
    cases = open_cases(settings, clock)
    case_list, monitoring = open_case_views(settings)
    cases.on_decided = partial(close_leads, alerts)

    def assess(household_id: str, now: datetime) -> tuple[RiskStatus, Decimal] | None:
        sheet = households.household(household_id)
        if sheet is None:
            return None
        line = alerts.policies.in_force(now.date()).poverty_line_yuan
        return alerts.assess(sheet, now.date()), line

    case_jobs = CaseJobs(cases, case_list, monitoring, assess, clock)
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
        jobs=Jobs(alerts, tasks, risk, households, clock, case_jobs),
        leadership=Leadership(settings, "alerts"),
        cases=cases,
        case_list=case_list,
        monitoring=monitoring,
        leads=LeadFollower(alerts, cases, alerts.task_at, is_task_event),
        case_followers=[
            ViewFollower(
                cases,
                case_list,
                partial(docs, cases.case, cases.repository.get, kind="case"),
                "case_list",
            ),
            ViewFollower(
                cases,
                monitoring,
                partial(docs, cases.case, cases.repository.get, kind="monitoring"),
                "monitoring_list",
            ),
        ],  # fmt: skip
        case_relay_position=open_relay_position(settings, "CaseRelay"),
        case_jobs=case_jobs,
    )


def lead_case(case_list: CaseView, task: Any) -> Any:
    """The case a help task is a lead of, from the cases view."""
    for case in case_list.search(limit=20, household_id=task.household_id).items:
        if any(lead.task_id == task.task_id for lead in case.leads):
            return case
    return None


def close_leads(alerts: Alerts, case: Case) -> None:
    """A decided case closes the help tasks that were its leads: resolved
    when the household is monitored or cleared, dismissed otherwise."""
    outcome = f"case {case.outcome}: {case.reason}".strip(": ")
    action, field = (
        ("resolve", "outcome")
        if case.outcome in ("monitored", "cleared")
        else ("dismiss", "reason")
    )
    for lead in case.leads:
        task_id = lead.get("task_id")
        if not task_id:
            continue
        try:
            alerts.act(UUID(task_id), action, by="system", **{field: outcome[:2000]})
        except TaskError:
            pass  # already closed by staff


def relay(parts: Parts) -> TaskRelay:
    return TaskRelay(parts.settings, parts.alerts, parts.relay_position)


def case_relay(parts: Parts) -> CaseRelay:
    return CaseRelay(parts.settings, parts.cases, parts.case_relay_position)


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
        yield from task_gauges(parts.tasks, parts.clock, lags)
        yield from case_gauges(parts.case_list, parts.clock().date())
        yield from calendar_gauges(parts.cases.calendar, parts.clock().date())

    app = create_app(
        alerts=parts.alerts,
        tasks=parts.tasks,
        accounts=parts.accounts,
        clock=parts.clock,
        ready=readiness(parts),
        gauges=gauges,
    )

    def pdf(notice: NoticeOut) -> bytes:
        return notice_pdf(notice, find_font(parts.settings.pdf_font))

    case_pages = casepages.router(
        casepages.CaseSources(
            cases=parts.cases,
            case_list=parts.case_list,
            monitoring=parts.monitoring,
            history=parts.households.history,
            accounts=parts.accounts,
            clock=parts.clock,
            notice_pdf=pdf,
        )
    )
    # What-if reads the households' store in processes of its own, opened
    # from the settings, under the policy and rules the service runs with.
    whatif_pages = whatifpages.router(
        whatifpages.WhatIfSources(
            accounts=parts.accounts,
            clock=parts.clock,
            runs=Runs(
                parts.settings,
                lambda: Regime(parts.alerts.policies, parts.alerts.rules),
                parts.clock,
            ),
        )
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
        more=[case_pages, whatif_pages],
        case_of=partial(lead_case, parts.case_list),
    )
    case_routes(
        app,
        parts.cases,
        parts.case_list,
        parts.monitoring,
        parts.clock,
        signed_in(parts.accounts),
        pdf,
    )
    return app


def reload_rules(parts: Parts) -> None:
    """Reads the rules, policy and procedure files again (raises on a bad
    one, and the running ones stay as they were)."""
    rules, policies, procedure, calendar = configuration(parts.settings)
    parts.alerts.rules, parts.alerts.policies, parts.alerts.calendar = rules, policies, calendar
    parts.cases.procedure, parts.cases.calendar = procedure, calendar


class ConfigWatch:
    """Reloads when a configuration file changes on disk."""

    def __init__(self, settings: Settings, reload: Callable[[], object]) -> None:
        self.paths = [
            settings.rules_file or DEFAULT_RULES,
            settings.policy_file or DEFAULT_POLICY,
            settings.procedure_file or DEFAULT_PROCEDURE,
        ]
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
    s.add_job(run_if_leading, "interval", hours=1, args=["case_escalate"], id="case_escalate")
    s.add_job(ConfigWatch(settings, reload).check, "interval", seconds=15, id="config")
    return s
