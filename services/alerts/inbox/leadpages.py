"""Staff's own leads in the inbox: a phone-first form (a registered
household's code, or for a household the registry does not know its village
and a description; the hardship kinds seen; a note) taken like any other
lead: a case, or for a monitoring object a task on its help plan. The rules are the command's (``services/cases/staffleads.py``);
the page only words its refusals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from domain.access import Permission, Principal
from domain.case_input import CaseForbidden
from domain.monitoring import PlanTask
from domain.task_input import TaskError, TaskInputError
from domain.vocabulary import FACTOR_CODES
from services.alerts.inbox.pages import Problem, page, signed_in_page
from services.cases.contacts import ContactBook
from services.cases.staffleads import RECORDERS, StaffLeads
from services.infra.access import Accounts

FIELDS = ("household_id", "township", "village", "note")


@dataclass(frozen=True)
class LeadSources:
    leads: StaffLeads
    accounts: Accounts
    places: Callable[[], dict[str, list[str]]]
    contacts: ContactBook | None = None


def router(src: LeadSources) -> APIRouter:
    pages = APIRouter(prefix="/inbox", include_in_schema=False)

    def user(request: Request) -> Principal:
        who = signed_in_page(src.accounts, request)
        if who.role not in RECORDERS or not who.may(Permission.READ_CASES):
            raise HTTPException(403, "this role does not record leads")
        return who

    def form(
        request: Request,
        who: Principal,
        values: dict,
        error: Problem | None = None,
        code: int = 200,
    ) -> Response:
        places = src.places()
        if not who.countywide:
            places = {t: v for t, v in places.items() if t == who.township}
        return page(
            request, "lead_new.html", code, who=who, values=values, error=error,
            factors=FACTOR_CODES, places=places,
        )  # fmt: skip

    @pages.get("/leads/new", response_class=HTMLResponse)
    def new_lead(request: Request) -> Response:
        who = user(request)
        values = {f: "" for f in FIELDS} | {"factors": []}
        values["township"], values["village"] = who.township or "", who.village or ""
        return form(request, who, values)

    @pages.post("/leads", response_class=HTMLResponse)
    async def record_lead(request: Request) -> Response:
        who = user(request)
        data = await request.form()
        values = {f: str(data.get(f, ""))[:2100] for f in FIELDS}
        values["factors"] = [str(f) for f in data.getlist("factors")][:20]
        try:
            case = await run_in_threadpool(
                src.leads.record, who, values["factors"], values["note"], values["household_id"],
                values["township"], values["village"],
            )  # fmt: skip
        except TaskInputError as e:
            return form(request, who, values, Problem(e.problem, e.field, e.limit, e.message), 422)
        except CaseForbidden:
            field = "household_id" if values["household_id"].strip() else "village"
            return form(request, who, values, Problem("outside", field), 403)
        if isinstance(case, PlanTask):  # a monitoring object's: on its help plan
            household = quote(values["household_id"].strip(), safe="")
            return RedirectResponse(f"/inbox/monitoring/{household}?done=lead", status_code=303)
        return RedirectResponse(f"/inbox/cases/{case.id}?done=lead", status_code=303)

    @pages.post("/contacts/{household_id}", response_class=HTMLResponse)
    def show_contact(request: Request, household_id: str) -> Response:
        """A household outside the registry's contact, to its township's staff."""
        who = user(request)
        if src.contacts is None:
            raise HTTPException(404, "no contacts here")
        try:
            contact = src.contacts.show(household_id, who)
        except CaseForbidden as e:
            raise HTTPException(403, str(e)) from None
        except TaskError as e:
            return page(request, "contact.html", 409, who=who, household=household_id, error=str(e))
        out = page(request, "contact.html", who=who, household=household_id, contact=contact)
        out.headers["Cache-Control"] = "no-store"
        return out

    return pages
