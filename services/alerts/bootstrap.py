"""Wiring of the alerts process: what it is made of, built from ``Settings``
and a clock in one place. Every other module receives what it uses (the
alerts application, the tasks view, accounts, a clock, a readiness probe);
none reaches into a service object, so no module imports the one that
imports it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InfrastructureFactory, TrackingRecorder
from eventsourcing.utils import Environment

from domain import countyday
from domain.cases import Case
from domain.countyday import now as county_now
from domain.incomes import recent_per_capita
from domain.policy import PolicyBook
from domain.procedure import Procedure
from domain.rules import RuleBook
from domain.task_input import TaskError
from domain.workdays import WorkCalendar
from schemas.cases import CaseOut
from services.alerts.app import Alerts
from services.alerts.jobs import Jobs
from services.alerts.relay import TaskRelay
from services.alerts.triggers import TriggerFollower
from services.alerts.views import (
    PostgresTaskView,
    SQLiteTaskView,
    TaskView,
    is_task_event,
    task_docs,
)
from services.cases.app import Cases
from services.cases.bootstrap import Intake, open_intake
from services.cases.decided import DecidedFollower
from services.cases.jobs import Assessed, CaseJobs
from services.cases.leads import LeadFollower
from services.cases.plantasks import PlanTaskFollower
from services.cases.relay import CaseRelay
from services.cases.staffleads import StaffLeads
from services.cases.views import (
    CaseView,
    MonitoringView,
    PostgresCaseView,
    PostgresMonitoringView,
    SQLiteCaseView,
    SQLiteMonitoringView,
    docs,
)
from services.feeds.bootstrap import FeedParts, feed_parts
from services.feeds.health import feed_health
from services.households.app import Households
from services.households.cache import CacheSettings
from services.households.names import HeadNames, open_names
from services.households.statusview import RiskStatusView
from services.households.statusview import open_view as open_risk_view
from services.infra import views
from services.infra.access import Accounts, open_accounts
from services.infra.follow import ViewFollower
from services.infra.leadership import Leadership
from services.infra.notifyfile import load_notify
from services.infra.policyfile import load_policies
from services.infra.procedurefile import load_procedure
from services.infra.rulefile import load_rules
from services.infra.runner import LogRunner
from services.infra.settings import Settings
from services.infra.workcalendar import work_calendar
from services.notify.bootstrap import NotifyParts, notice_follower, open_notify, scan_job
from services.notify.notices import NoticeFollower
from services.presentation.words import Words
from services.reports.bootstrap import open_report_job
from services.reports.job import ReportJob


def configuration(settings: Settings) -> tuple[RuleBook, PolicyBook, Procedure, WorkCalendar]:
    """The rules, policy and procedure files, and the working-day calendar
    both tasks and cases count deadlines on (the rules file's holidays are
    local days off on top of the procedure file's)."""
    rules, policies = load_rules(settings.rules_file), load_policies(settings)
    procedure = load_procedure(settings.procedure_file)
    return rules, policies, procedure, work_calendar(procedure, rules.holidays)


def open_alerts(settings: Settings, clock: Callable[[], datetime] = county_now) -> Alerts:
    rules, policies, _, calendar = configuration(settings)
    return settings.open_store(
        lambda: Alerts(settings.store_env("Alerts"), rules, policies, clock, calendar),
        "the alerts store",
    )


def open_cases(settings: Settings, clock: Callable[[], datetime] = county_now) -> Cases:
    rules, _, procedure, calendar = configuration(settings)
    return settings.open_store(
        lambda: Cases(
            settings.store_env("Cases"), procedure, calendar, clock, rules.plan_deadlines
        ),
        "the cases store",
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
    decided: DecidedFollower  # a decision's lead tasks closed, its contact erased
    plan_tasks: PlanTaskFollower  # a monitoring object's plan tasks on their help tasks
    case_followers: list[ViewFollower]
    case_relay_position: TrackingRecorder
    case_jobs: CaseJobs
    feeds: FeedParts
    pushes: NotifyParts  # the outbox of pushes to receivers (services/notify/)
    notices: NoticeFollower
    intake: Intake  # cards, households' declarations, sealed contacts
    staff_leads: StaffLeads
    report_job: ReportJob | None = None  # the monthly report (services/reports/)
    names: HeadNames | None = None  # the heads' sealed names, for the printed notices

    def close(self) -> None:
        self.alerts.close()
        self.cases.close()
        self.households.close()
        self.accounts.close()
        self.feeds.close()
        self.pushes.close()
        self.intake.contacts.view.datastore.close()
        for v in (
            self.tasks, self.risk, self.relay_position, self.case_list, self.monitoring,
            self.case_relay_position,
        ):  # fmt: skip
            v.datastore.close()
        if self.report_job is not None:
            self.report_job.view.datastore.close()
        if self.names is not None:
            self.names.close()

    def followers(self) -> list[LogRunner[Any]]:
        """Every log follower the leading process runs, relays aside."""
        return [
            self.triggers, self.task_view, self.leads, self.decided, self.plan_tasks,
            *self.case_followers,
            self.feeds.counter,
            self.notices, *self.pushes.view_followers,
        ]  # fmt: skip


def assessor(
    households: Households, alerts: Alerts, cases: Cases
) -> Callable[[str, datetime], Assessed | None]:
    """A household's risk now, its income over the procedure's stable months
    (clearance) and the line in force: what the clearance job reads."""

    def assess(household_id: str, now: datetime) -> Assessed | None:
        sheet = households.household(household_id)
        if sheet is None:
            return None
        on = countyday.day(now)
        policy = alerts.policies.in_force(on)
        months = cases.procedure.clearance.stable_months
        stable = recent_per_capita(sheet.facts, policy, on, months)
        return Assessed(alerts.assess(sheet, on), stable, policy.poverty_line_yuan)

    return assess


def build(settings: Settings, clock: Callable[[], datetime] = county_now) -> Parts:
    countyday.use(settings.county_zone)
    households = settings.open_store(lambda: Households(env=settings.store_env("Monitor")))
    alerts = open_alerts(settings, clock)
    tasks = open_task_view(settings)
    risk = settings.open_store(lambda: open_risk_view(settings), "the risk status view")
    cases = open_cases(settings, clock)
    case_list, monitoring = open_case_views(settings)
    intake = open_intake(settings, cases, risk, clock)

    case_jobs = CaseJobs(cases, case_list, monitoring, assessor(households, alerts, cases), clock)
    words = Words("zh")  # the report is written in Chinese, whoever reads it
    feeds = feed_parts(settings, households)

    def feed(month: str) -> Any:
        return feed_health(feeds.views, month, now=clock(), book=feeds.book, risk=risk)

    report_job = open_report_job(
        settings, risk, case_list, monitoring, clock, words.term, words, feed
    )
    pushes = open_notify(settings, load_notify(settings.notify_file), words.term, clock)
    procedure = lambda: cases.procedure  # noqa: E731 (reloaded with its file)
    push_jobs = {
        "push_flush": pushes.dispatcher.flush,
        "push_deliver": pushes.dispatcher.deliver,
        "push_scan": scan_job(
            pushes, lambda: open_case_docs(case_list), procedure, alerts.silences, clock
        ),
    }
    return Parts(
        names=open_names(settings),
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
        jobs=Jobs(alerts, tasks, risk, households, clock, case_jobs, report_job.run, push_jobs),
        leadership=Leadership(settings, "alerts"),
        cases=cases,
        case_list=case_list,
        monitoring=monitoring,
        leads=LeadFollower(alerts, cases, alerts.task_at, is_task_event),
        decided=DecidedFollower(cases, intake.contacts, partial(close_leads, alerts)),
        plan_tasks=PlanTaskFollower(cases, alerts),
        case_followers=case_view_followers(cases, case_list, monitoring),
        case_relay_position=open_relay_position(settings, "CaseRelay"),
        case_jobs=case_jobs,
        feeds=feeds,
        pushes=pushes,
        notices=notice_follower(cases, pushes, cases.case_at, procedure, alerts.silences),
        intake=intake,
        staff_leads=StaffLeads(cases, intake.declarations.place_of, intake.places, clock),
        report_job=report_job,
    )


def case_view_followers(
    cases: Cases, case_list: CaseView, monitoring: MonitoringView
) -> list[ViewFollower]:
    """The followers that write the cases' two views."""

    def follower(view: Any, kind: str, name: str) -> ViewFollower:
        return ViewFollower(
            cases, view, partial(docs, cases.case, cases.repository.get, kind=kind), name
        )

    return [
        follower(case_list, "case", "case_list"),
        follower(monitoring, "monitoring", "monitoring_list"),
    ]


def open_case_docs(case_list: CaseView) -> Iterator[CaseOut]:
    """Every open case's document, a page at a time (the morning's scan)."""
    offset = 0
    while True:
        page = case_list.search(limit=1000, offset=offset, phase="open")
        yield from page.items
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return


def close_leads(alerts: Alerts, case: Case) -> None:
    """A decided case closes the help tasks that were its leads: resolved
    when the household is monitored or cleared, dismissed otherwise; a task
    closed already (by staff, or by this before a restart) is left as it is."""
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
