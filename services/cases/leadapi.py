"""POST /leads: a lead staff found on their rounds, through the API (the
inbox's form posts the same command)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel, Field

from domain.access import Principal
from domain.contacts import CONTACT_ROLES
from schemas.cases import CaseOut
from services.cases.api import translated
from services.cases.contacts import ContactBook
from services.cases.staffleads import RECORDERS, StaffLeads
from services.cases.views import case_doc, case_for


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


def lead_routes(
    app: FastAPI, leads: StaffLeads, contacts: ContactBook, user: Callable[..., Principal]
) -> None:
    def recorder(who: Principal = Depends(user)) -> Principal:
        # Before the body is read: a role that records no leads hears 403 only.
        if who.role not in RECORDERS:
            raise HTTPException(403, f"the {who.role.value} role does not record leads")
        return who

    @app.post("/leads", response_model=CaseOut, status_code=201, tags=["cases"])
    def record_lead(body: StaffLeadIn, who: Principal = Depends(recorder)) -> CaseOut:
        """Starts a case for the household (or adds the lead to its open one)."""
        case = translated(
            lambda: leads.record(
                who, body.factors, body.note, body.household_id, body.township, body.village
            )
        )
        return case_for(who, case_doc(case))

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
