"""Leads staff found on their rounds: a registered household (named by its
registry code), or one the registry does not know (its village and a short
description), with the hardship kinds seen. Each starts a case like any other
lead, marked as staff's. Who may record one: village staff in their village,
township staff in their township, the county office anywhere. A code that
names no household is refused as one outside the account's area (403), so
that the answer cannot tell another township's households from no household;
only the county hears that a code is unknown."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import uuid4

from domain.access import Principal, Role
from domain.case_input import CaseForbidden
from domain.cases import Case
from domain.leads import DESCRIPTION_MIN, staff_lead
from domain.monitoring import PlanTask
from domain.task_input import TaskInputError
from services.cases.app import Cases, Place

RECORDERS = (Role.VILLAGE, Role.STAFF, Role.REVIEWER, Role.COUNTY)


class StaffLeads:
    def __init__(
        self,
        cases: Cases,
        place_of: Callable[[str], Place | None],
        places: Callable[[], dict[str, list[str]]],
        clock: Callable[[], datetime],
    ) -> None:
        self.cases, self.place_of, self.places, self.clock = cases, place_of, places, clock

    def record(
        self,
        who: Principal,
        factors: list[str],
        note: str,
        household_id: str = "",
        township: str = "",
        village: str = "",
    ) -> Case | PlanTask:
        if who.role not in RECORDERS:
            raise CaseForbidden(f"the {who.role.value} role does not record leads")
        lead = staff_lead(who.name, self.clock(), factors, note)  # the input's rules, once
        place = self._place(
            who, household_id.strip(), township or who.township or "",
            village or who.village or "", note,
        )  # fmt: skip
        if not who.sees(place.township, place.village):
            raise CaseForbidden("outside your area")
        if place.card is None:
            lead["unregistered"] = True
        taken = self.cases.take_lead(place, lead)
        assert taken is not None  # no tracking: always taken
        return taken

    def _place(
        self, who: Principal, household_id: str, township: str, village: str, note: str
    ) -> Place:
        if household_id:
            place = self.place_of(household_id)
            if place is None and not who.countywide:
                raise CaseForbidden("outside your area")
            if place is None:
                raise TaskInputError(
                    "household_id", "unknown", "no registered household has this code"
                )
            return place
        known = self.places()
        if township not in known:
            raise TaskInputError("township", "required", "choose the township from the list")
        if village not in known[township]:
            raise TaskInputError("village", "required", "choose the village from the list")
        if len(note.strip()) < DESCRIPTION_MIN:
            raise TaskInputError(
                "note", "required", "describe the household, since the registry does not know it"
            )
        return Place("U-" + uuid4().hex[:10].upper(), township, village, None)
