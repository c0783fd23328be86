"""The procedure's pages in the inbox: an account's cases at the stages its
role acts on (overdue first), a case with the form of its next step, the
village notice and its PDF, a household's monitoring record and help plan,
and the county's overview. Same rules and access control as the API
(services/cases/api.py); forms post back and redirect (no JavaScript)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from domain import countyday, twoworries
from domain.access import Permission, Principal
from domain.case_input import DECLINE_REASONS, CaseForbidden
from domain.procedure import CATEGORIES, CaseKind
from domain.task_input import TaskError, TaskInputError
from domain.vocabulary import FACTOR_CODES, MEASURES
from schemas.cases import CaseOut, MonitoringOut
from services.alerts.inbox.caseforms import ACTIONS, date_of, text_of
from services.alerts.inbox.ownpage import head_name, reported
from services.alerts.inbox.pages import Problem, page, signed_in_page
from services.alerts.inbox.plantaskpages import plan_task_pages
from services.alerts.views import reaches
from services.cases.api import PLACE, acting_stages, village_results
from services.cases.app import Cases
from services.cases.overview import overview
from services.cases.printer import Printer
from services.cases.views import (
    CaseView,
    MonitoringView,
    monitoring_doc,
    notice_doc,
    record_for,
    visible_case,
)
from services.households.names import HeadNames
from services.infra.access import Accounts, require_area, scoped_township, scoped_village
from services.infra.views import MAX_OFFSET
from services.reports.api import chart_url

PAGE = 50
VIEW_WAIT_SECONDS = 5.0
MEASURE_STATES = ("planned", "in_progress", "done", "cancelled")
# The form each stage shows, by the stage's name.
STAGE_FORMS = {
    "verify": ("verification",),
    # The authorisation, signed before the county's cross-check, is the
    # village's or township's (the procedure file's consent roles).
    "crosscheck": ("authorisation", "crosscheck"),
    "village_review": ("village-review",),
    "notice": ("notice", "objections", "notice/close"),
    "township_review": ("township-review",),
    "county_decision": ("decision",),
}


@dataclass(frozen=True)
class CaseSources:
    """What the case pages read and act on."""

    cases: Cases
    case_list: CaseView
    monitoring: MonitoringView
    history: Callable[[str], Sequence[Any]]
    accounts: Accounts
    clock: Callable[[], datetime]
    printer: Printer
    # The newest stored monthly report (its charts on the county's overview).
    report: Callable[[], Any] = lambda: None
    # The county's picture of the standard's guarantees, per township.
    standard: Callable[[], Any] = lambda: None
    # The departments the rule book gives the measures to, offered on the plan's form.
    departments: Callable[[], list[str]] = lambda: []
    # The open plan tasks (help tasks of kind "plan") an account's area holds:
    # with its cases, the one work list.
    plan_tasks: Callable[[Principal], list[Any]] = lambda who: []
    names: HeadNames | None = None  # heads' names, for one household's own page (ownpage.py)


# -- pages -------------------------------------------------------------------------


class _Pages:
    def __init__(self, src: CaseSources) -> None:
        self.src = src

    def user(self, request: Request) -> Principal:
        who = signed_in_page(self.src.accounts, request)
        if not who.may(Permission.READ_CASES):
            raise HTTPException(403, "role has no case pages")
        return who

    def render(self, request: Request, name: str, status: int = 200, **ctx: Any) -> Response:
        return page(request, name, status, today=countyday.day(self.src.clock()), **ctx)

    def case(self, case_id: str, who: Principal) -> CaseOut:
        try:
            uuid = UUID(case_id)
        except ValueError:
            uuid = UUID(int=0)  # no such case: answered like any other missing one
        return visible_case(self.src.cases, uuid, who)

    def forms(self, who: Principal, case: CaseOut) -> tuple[str, ...]:
        """The forms of the case's next step this account fills in."""
        p = self.src.cases.procedure
        if case.stage is None or not who.may(Permission.ACT_ON_CASES):
            return ()
        forms = STAGE_FORMS.get(case.stage, ())
        if case.stage == "crosscheck":
            signed = case.records.get("consent", {}).get("signed")
            return tuple(
                f
                for f in forms
                if (f == "authorisation" and not signed and who.role.value in p.consent.roles)
                or (f == "crosscheck" and signed and who.role.value in p.roles("crosscheck"))
            )
        return forms if who.role.value in p.roles(case.stage) else ()

    def case_page(
        self,
        request: Request,
        case_id: str,
        done: str | None = None,
        error: Problem | None = None,
        status: int = 200,
    ) -> Response:
        who = self.user(request)
        case = self.case(case_id, who)
        p = self.src.cases.procedure
        aggregate = self.src.cases.case(UUID(case.case_id))
        stages = aggregate.stages
        helps_first = (
            case.phase == "open"
            and case.kind == "identification"
            and aggregate.sudden
            and who.may(Permission.ACT_ON_CASES)
            and who.role.value in p.green_channel.roles
        )
        before = stages[: stages.index("township_review")] if "township_review" in stages else []
        return self.render(
            request,
            "case.html",
            status=status,
            who=who,
            case=case,
            done=done,
            error=error,
            forms=self.forms(who, case),
            helps_first=helps_first,
            measures=MEASURES,
            stages=stages,
            return_to=before,
            factors=[f for f in FACTOR_CODES if f != twoworries.HARDSHIP],  # its findings
            findings=twoworries.FINDINGS,
            categories=CATEGORIES,
            decline_reasons=DECLINE_REASONS,
            notice_days=p.notice.min_days,
            **reported(who, self.src.history(case.household_id)),
            head_name=head_name(self.src.names, who, case.township, case.household_id),
        )

    def record(self, household_id: str, who: Principal) -> MonitoringOut:
        record = self.src.cases.record(household_id)
        require_area(
            who, record is not None, record and record.township, record and record.village,
            f"no monitoring record for {household_id}",
        )  # fmt: skip
        assert record is not None
        return record_for(who, monitoring_doc(record))

    def monitoring_page(
        self,
        request: Request,
        household_id: str,
        done: str | None = None,
        error: Problem | None = None,
        status: int = 200,
    ) -> Response:
        who = self.user(request)
        record = self.record(household_id, who)
        p = self.src.cases.procedure
        plan_roles, clearance_roles = p.plan.roles, p.clearance.roles
        acts = who.may(Permission.ACT_ON_CASES)
        return self.render(
            request,
            "monitoring.html",
            status=status,
            who=who,
            record=record,
            done=done,
            error=error,
            plans=who.role.value in plan_roles and acts,
            proposes=who.role.value in clearance_roles and acts,
            decides=who.role.value in p.roles("county_decision") and acts,
            factors=FACTOR_CODES,
            categories=CATEGORIES,
            measures=MEASURES,
            states=MEASURE_STATES,
            departments=self.src.departments(),
            head_name=head_name(self.src.names, who, record.township, record.household_id),
        )

    def change(
        self, request: Request, household_id: str, what: str, call: Callable[[], Any]
    ) -> Any:
        """A change of the record (``call``), its refusal shown on the record's page."""
        who = self.user(request)
        self.record(household_id, who)
        try:
            result = call()
        except TaskInputError as e:
            return self.monitoring_page(request, household_id, error=Problem.of(e), status=422)
        except CaseForbidden as e:
            raise HTTPException(403, str(e)) from None
        except TaskError as e:
            problem = Problem("state", message=str(e))
            return self.monitoring_page(request, household_id, error=problem, status=409)
        if what == "clearance":
            return RedirectResponse(f"/inbox/cases/{result.id}", status_code=303)
        return RedirectResponse(f"/inbox/monitoring/{household_id}?done={what}", status_code=303)


def router(src: CaseSources) -> APIRouter:
    pages = APIRouter(prefix="/inbox", include_in_schema=False)
    h = _Pages(src)
    _list_pages(pages, h)
    _case_pages(pages, h)
    _monitoring_pages(pages, h)
    plan_task_pages(pages, h)
    return pages


def _list_pages(pages: APIRouter, h: _Pages) -> None:
    src = h.src

    @pages.get("/cases", response_class=HTMLResponse)
    def case_list(request: Request, offset: int = 0) -> Response:
        who = h.user(request)
        offset = min(max(offset, 0), MAX_OFFSET)
        found = src.case_list.search(
            limit=PAGE, offset=offset, township=scoped_township(who, None),
            village=scoped_village(who, None), stage=acting_stages(who, src.cases),
            phase="open",
        )  # fmt: skip
        return h.render(
            request, "cases.html", who=who, page=found, offset=offset, limit=PAGE,
            # The plan tasks are on the work list of those who keep the plans.
            plan_tasks=src.plan_tasks(who)
            if who.role.value in src.cases.procedure.plan.roles else [],
        )  # fmt: skip

    @pages.get("/cases/overview", response_class=HTMLResponse)
    def case_overview(request: Request) -> Response:
        who = h.user(request)
        if not who.countywide:
            raise HTTPException(403, "the county's overview is the county's")
        picture = overview(src.case_list, src.monitoring, countyday.day(src.clock()))
        return h.render(
            request, "case_overview.html", who=who, overview=picture, categories=CATEGORIES,
            stages=list(STAGE_FORMS), report=src.report(), chart_url=chart_url,
            standard=src.standard(),
        )  # fmt: skip


def _case_pages(pages: APIRouter, h: _Pages) -> None:
    src = h.src

    @pages.get("/cases/{case_id}", response_class=HTMLResponse)
    def case_view(request: Request, case_id: str, done: str | None = None) -> Response:
        return h.case_page(request, case_id, done=done)

    @pages.get("/cases/{case_id}/notice", response_class=HTMLResponse)
    def notice_view(request: Request, case_id: str) -> Response:
        who = h.user(request)
        case = h.case(case_id, who)
        try:
            notice = notice_doc(case)
        except TaskError as e:
            raise HTTPException(404, str(e)) from None
        return h.render(request, "notice.html", who=who, case=case, notice=notice)

    @pages.get("/cases/{case_id}/notice.pdf")
    def notice_file(request: Request, case_id: str) -> Response:
        who = h.user(request)
        try:
            notice = notice_doc(h.case(case_id, who))
        except TaskError as e:
            raise HTTPException(404, str(e)) from None
        return _download(src.printer.notice(notice), f"notice-{notice.case_id}.pdf")

    @pages.get("/cases/{case_id}/authorisation.pdf")
    def authorisation_file(request: Request, case_id: str) -> Response:
        case = h.case(case_id, h.user(request))
        return _download(src.printer.authorisation(case), f"authorisation-{case.case_id}.pdf")

    @pages.get("/announcements.pdf")
    def announcement_file(
        request: Request,
        township: str = Query(max_length=100, pattern=PLACE),
        village: str = Query(max_length=100, pattern=PLACE),
        kind: CaseKind = "identification",
    ) -> Response:
        who = h.user(request)
        township = scoped_township(who, township) or township
        village = scoped_village(who, village) or village
        today = countyday.day(src.clock())
        rows = village_results(src.case_list, township, village, kind, None, None, today)
        data = src.printer.announcement(township, village, kind, rows, today)
        return _download(data, f"announcement-{kind}-{today.isoformat()}.pdf")

    def act(request: Request, case_id: str, path: str, form: Any) -> Response:
        who = h.user(request)
        case = h.case(case_id, who)
        action, read = ACTIONS[path]
        try:
            done = src.cases.act(UUID(case.case_id), action, who, **read(form, case, src.cases))
        except TaskInputError as e:
            return h.case_page(request, case_id, error=Problem.of(e), status=422)
        except CaseForbidden as e:
            raise HTTPException(403, str(e)) from None
        except TaskError as e:
            return h.case_page(request, case_id, error=Problem("state", message=str(e)), status=409)
        # Read-your-writes: the work lists come from the cases view.
        reaches(src.case_list, src.cases.name, done.position, VIEW_WAIT_SECONDS)  # type: ignore[arg-type]
        return RedirectResponse(f"/inbox/cases/{case.case_id}?done={action}", status_code=303)

    for path in ACTIONS:

        @pages.post(f"/cases/{{case_id}}/{path}", name=f"case-{path}")
        async def step(request: Request, case_id: str, path: str = path) -> Response:
            form = await request.form()
            return await run_in_threadpool(act, request, case_id, path, form)


def _download(data: bytes, name: str) -> Response:
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(data, media_type="application/pdf", headers=disposition)


def _monitoring_pages(pages: APIRouter, h: _Pages) -> None:
    src = h.src

    @pages.get("/monitoring/{household_id}", response_class=HTMLResponse)
    def monitoring_view(request: Request, household_id: str, done: str | None = None) -> Response:
        return h.monitoring_page(request, household_id, done=done)

    change = h.change

    def plan_step(request: Request, household_id: str, form: Any, measure_id: str | None) -> Any:
        who = h.user(request)

        def call() -> Any:
            if measure_id is None:
                return src.cases.plan(
                    household_id, who, "add_measure", kind=text_of(form, "kind"),
                    department=text_of(form, "department"), due_on=date_of(form, "due_on"),
                    note=text_of(form, "note"), answers=text_of(form, "answers") or None,
                )  # fmt: skip
            return src.cases.plan(
                household_id, who, "update_measure", measure_id=measure_id,
                state=text_of(form, "state"), note=text_of(form, "note"),
            )  # fmt: skip

        return change(request, household_id, "plan", call)

    @pages.post("/monitoring/{household_id}/plan")
    async def add_measure(request: Request, household_id: str) -> Any:
        form = await request.form()
        return await run_in_threadpool(plan_step, request, household_id, form, None)

    @pages.post("/monitoring/{household_id}/plan/{measure_id}")
    async def update_measure(request: Request, household_id: str, measure_id: str) -> Any:
        form = await request.form()
        return await run_in_threadpool(plan_step, request, household_id, form, measure_id)

    def clearance(request: Request, household_id: str, form: Any) -> Any:
        who = h.user(request)
        reason, kind = text_of(form, "reason"), text_of(form, "kind") or "helped"
        return change(
            request, household_id, "clearance",
            lambda: src.cases.propose_clearance(household_id, who, reason, kind),
        )  # fmt: skip

    @pages.post("/monitoring/{household_id}/clearance")
    async def propose_clearance(request: Request, household_id: str) -> Any:
        form = await request.form()
        return await run_in_threadpool(clearance, request, household_id, form)
