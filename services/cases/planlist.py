"""The plan tasks of leads without a help task (staff's, the household's own
declaration), for the work list beside the departments' plan tasks (help
tasks of kind ``plan``): staff see one list of a monitoring object's new
risks whatever channel raised them, each as its account may read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from domain.access import Principal
from services.cases.views import MonitoringView, record_for


@dataclass(frozen=True)
class PlanItem:
    """A work list's line, in the fields a help task's line has."""

    task_id: str
    household_id: str
    village: str | None
    next_due: date
    channel: str
    plan_factors: list[str] = field(default_factory=list)
    kind: str = "plan"
    shown: str = "normal"


def lead_plan_tasks(view: MonitoringView, who: Principal, page: int = 500) -> list[PlanItem]:
    """The open plan tasks without a help task of ``who``'s area (a village
    account's own village's), deadline first. The area's monitoring objects
    are read whole, ``page`` records at a time: none is left off the list."""
    township = None if who.countywide else who.township
    out: list[PlanItem] = []
    offset = 0
    while True:
        found = view.search(
            limit=page, offset=offset, status="monitored", township=township, village=who.village
        )
        out += [
            PlanItem(t.task_id, r.household_id, r.village, t.due_on, t.channel, list(t.factors))
            for r in (record_for(who, doc) for doc in found.items)
            for t in r.plan_tasks
            if t.state == "open" and t.channel != "department"
        ]
        offset += len(found.items)
        if not found.items or offset >= found.total:
            return sorted(out, key=lambda i: (i.next_due, i.household_id))
