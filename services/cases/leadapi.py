"""POST /leads: a lead staff found on their rounds, through the API (the
inbox's form posts the same command)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel, Field

from domain.access import Principal
from domain.cases import Case
from domain.contacts import CONTACT_ROLES
from schemas.cases import CaseOut, PlanLeadOut
from services.cases.api import translated
from services.cases.app import Cases
from services.cases.contacts import ContactBook
from services.cases.staffleads import RECORDERS, StaffLeads
from services.cases.views import case_doc, case_for, monitoring_doc, record_for


class StaffLeadIn(BaseModel):
    household_id: str = Field(
        "", description="the registry's code; empty for a household it does not know"
    )
    township: str = Field("", description="a household outside the registry: its township")
    village: str = Field("", description="a household outside the registry: its village")
    factors: list[str] = Field(description="the hardship kinds seen, as factor codes")
    note: str = Field(
        "", description="what staff saw (required for a household outside the registry)"
    )


class ContactOut(BaseModel):
    household_id: str
    contact: str


def plan_lead_for(cases: Cases, who: Principal, household_id: str, task_id: str) -> PlanLeadOut:
    """The plan task a lead added, as ``who`` may read its record."""
    record = cases.record(household_id)
    assert record is not None  # a plan task is on a record
    (task,) = [
        t for t in record_for(who, monitoring_doc(record)).plan_tasks if t.task_id == task_id
    ]
    return PlanLeadOut(household_id=household_id, plan_task=task)


def lead_routes(
    app: FastAPI, leads: StaffLeads, contacts: ContactBook, user: Callable[..., Principal]
) -> None:
    def recorder(who: Principal = Depends(user)) -> Principal:
        # Before the body is read: a role that records no leads hears 403 only.
        if who.role not in RECORDERS:
            raise HTTPException(403, f"the {who.role.value} role does not record leads")
        return who

    @app.post("/leads", response_model=CaseOut | PlanLeadOut, status_code=201, tags=["cases"])
    def record_lead(body: StaffLeadIn, who: Principal = Depends(recorder)) -> CaseOut | PlanLeadOut:
        """Starts a case for the household (or adds the lead to its open one);
        for a monitoring object, adds a task to its help plan instead."""
        taken = translated(
            lambda: leads.record(
                who, body.factors, body.note, body.household_id, body.township, body.village
            )
        )
        if isinstance(taken, Case):
            return case_for(who, case_doc(taken))
        return plan_lead_for(leads.cases, who, body.household_id.strip(), taken.task_id)

    def township_staff(who: Principal = Depends(user)) -> Principal:
        if who.role.value not in CONTACT_ROLES:
            raise HTTPException(403, "only the township's staff see a household's contact")
        return who

    @app.post("/contacts/{household_id}", response_model=ContactOut, tags=["cases"])
    def show_contact(household_id: str, who: Principal = Depends(township_staff)) -> ContactOut:
        """The contact a household outside the registry left: to the staff of
        its township only, each showing recorded; gone once its case is decided."""
        contact = translated(lambda: contacts.show(household_id, who))
        return ContactOut(household_id=household_id, contact=contact)
