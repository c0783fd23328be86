"""The alerts process's HTTP app, wired from its parts: the API, the inbox
under /inbox with the procedure's, ledgers', reports' and households' pages,
the metrics, and the readiness probe."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from fastapi import APIRouter, FastAPI
from prometheus_client.core import Metric

from domain import countyday
from domain.access import Permission, Principal
from domain.whatif import Regime
from services.alerts import inbox
from services.alerts.api import create_app
from services.alerts.bootstrap import Parts
from services.alerts.inbox import (
    casepages,
    declare,
    declare_public,
    feedpages,
    householdpages,
    leadpages,
    ledgerpages,
    reportpages,
    toolarge,
    whatifpages,
)
from services.alerts.jobs import task_gauges
from services.alerts.views import open_plan_tasks
from services.cases.announcement import with_heads
from services.cases.api import case_routes
from services.cases.jobs import case_gauges
from services.cases.leadapi import lead_routes
from services.cases.ledgerapi import ledger_routes
from services.cases.ledgerbook import LedgerViews
from services.cases.notice import printed
from services.cases.planlist import lead_plan_tasks
from services.cases.printer import Printer
from services.cases.twoworries import with_visits
from services.cases.views import (
    CaseView,
)
from services.feeds.bootstrap import feed_gauges
from services.households.standard import standard_picture
from services.infra import kafka
from services.infra.access import allowed, signed_in
from services.infra.bodylimit import KIB, BodyLimit, BodyLimits
from services.infra.workcalendar import calendar_gauges
from services.notify.api import push_routes
from services.presentation.words import Words
from services.reports.api import report_routes
from services.reports.bootstrap import report_pdf_of
from services.whatif.jobs import Runs


def lead_case(case_list: CaseView, task: Any) -> Any:
    """The case a help task is a lead of, from the cases view."""
    for case in case_list.search(limit=20, household_id=task.household_id).items:
        if any(lead.task_id == task.task_id for lead in case.leads):
            return case
    return None


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
        yield from case_gauges(parts.case_list, countyday.day(parts.clock()))
        yield from calendar_gauges(parts.cases.calendar, countyday.day(parts.clock()))
        yield from feed_gauges(parts.feeds, parts.clock)
        yield from parts.pushes.dispatcher.gauges()

    app = create_app(
        alerts=parts.alerts,
        tasks=parts.tasks,
        accounts=parts.accounts,
        clock=parts.clock,
        ready=readiness(parts),
        gauges=gauges,
    )

    # The head's name and the household's size, read as the notice or the
    # announcement is printed.
    pdf = Printer(
        parts.settings.pdf_font,
        lambda notice: printed(notice, parts.names, parts.risk, parts.cases.procedure.notice),
        lambda rows: with_heads(rows, parts.names, parts.risk),
    )

    # The ledgers' words are the catalogue's Chinese, whatever the browser's language.
    ledgers = LedgerViews(parts.case_list, parts.monitoring, parts.tasks, Words("zh").term)
    inbox.install(
        app,
        alerts=parts.alerts,
        tasks=parts.tasks,
        risk=parts.risk,
        history=parts.households.history,
        accounts=parts.accounts,
        clock=parts.clock,
        secure_cookies=parts.settings.cookie_secure,
        more=inbox_pages(parts, pdf, ledgers),
        case_of=partial(lead_case, parts.case_list),
    )
    feedpages.install(app, parts)
    # Every body is limited before a route reads it; the what-if form takes its two files.
    settings = parts.settings
    limits = BodyLimits(settings.form_max_kb * KIB, (("/inbox/whatif", whatifpages.BODY_LIMIT),))
    app.add_middleware(BodyLimit, limits=limits, refuse=toolarge.refusal)
    case_routes(
        app,
        parts.cases,
        parts.case_list,
        parts.monitoring,
        parts.clock,
        signed_in(parts.accounts),
        pdf,
    )
    ledger_routes(app, ledgers, parts.clock, signed_in(parts.accounts))
    intake_routes(app, parts)
    if parts.report_job is not None:
        report_routes(
            app, parts.report_job, signed_in(parts.accounts),
            report_pdf_of(parts.settings),
        )  # fmt: skip
    return app


def work_plan_tasks(parts: Parts, who: Principal) -> list[Any]:
    """One work list of new risks: the departments' (their help tasks) and
    staff's or households' (on the records only), deadline first."""
    found = [*open_plan_tasks(parts.tasks, who), *lead_plan_tasks(parts.monitoring, who)]
    return sorted(found, key=lambda t: (t.next_due, t.household_id))


def inbox_pages(parts: Parts, pdf: Printer, ledgers: LedgerViews) -> list[APIRouter]:
    """The inbox's pages beside the tasks': cases, households, ledgers, the
    monthly report, what-if and staff's own leads."""
    case_pages = casepages.router(
        casepages.CaseSources(
            cases=parts.cases,
            case_list=parts.case_list,
            monitoring=parts.monitoring,
            history=parts.households.history,
            accounts=parts.accounts,
            clock=parts.clock,
            printer=pdf,
            report=parts.report_job.latest if parts.report_job else lambda: None,
            standard=lambda: with_visits(standard_picture(parts.risk), parts.case_list),
            departments=lambda: sorted({d.name for d in parts.alerts.rules.departments.values()}),
            plan_tasks=lambda who: work_plan_tasks(parts, who),
            names=parts.names,
        )
    )
    report_pages = (
        [reportpages.router(parts.report_job, parts.accounts, parts.clock)]
        if parts.report_job
        else []
    )
    # What-if reads the households' store in processes of its own, opened
    # from the settings, under the policy and rules the service runs with.
    regime = lambda: Regime(parts.alerts.policies, parts.alerts.rules)  # noqa: E731
    whatif_pages = whatifpages.router(
        whatifpages.WhatIfSources(
            accounts=parts.accounts,
            clock=parts.clock,
            runs=Runs(parts.settings, regime, parts.clock),
        )
    )
    return [
        case_pages,
        householdpages.from_parts(parts),
        ledgerpages.router(ledgers, parts.accounts, parts.clock),
        *report_pages,
        whatif_pages,
        leadpages.router(
            leadpages.LeadSources(
                parts.staff_leads, parts.accounts, parts.intake.places, parts.intake.contacts
            )
        ),
    ]


def intake_routes(app: FastAPI, parts: Parts) -> None:
    """Staff's leads (API), the households' declaration pages (public) and
    the operators' list of pushes."""
    user = signed_in(parts.accounts)
    lead_routes(app, parts.staff_leads, parts.intake.contacts, user)
    push_routes(app, parts.pushes.deliveries, allowed(user, Permission.READ_OPERATIONS))
    i, secure = parts.intake, parts.settings.cookie_secure
    app.include_router(
        declare.router(declare.DeclareSources(i.declarations, i.limiter, i.form_secret, secure))
    )
    app.include_router(
        declare_public.router(
            declare_public.PublicSources(
                i.declarations, i.contacts, i.places, i.limiter, i.form_secret, secure
            )
        )
    )
