"""A household's monitoring record: its cases, whether it is a monitoring
object (监测对象) and of which category, its help plan (一户一策), and when
its risk was cleared. One per household, kept after clearance with its whole
history; a cleared household can become a lead again.

The record is also what keeps one open case per household: a lead for a
household with an open case joins that case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, get_args
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.case_input import Acting, CaseForbidden, check_measure
from domain.countyday import day
from domain.task_input import DEPARTMENT_MAX, NOTE_MAX, TaskError, TaskInputError, plain_text

MeasureState = Literal["planned", "in_progress", "done", "cancelled"]
MEASURE_STATES: tuple[MeasureState, ...] = get_args(MeasureState)


@dataclass
class PlanMeasure:
    id: str
    kind: str
    department: str
    due_on: date
    state: str
    note: str
    added_by: str
    added_at: datetime
    updated_at: datetime
    changes: list[dict[str, Any]] = field(default_factory=list)


class MonitoringRecord(Aggregate):
    @staticmethod
    def create_id(household_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/povwatch/monitoring/{household_id}")

    @event("Started")
    def __init__(
        self, household_id: str, township: str | None, village: str | None, at: datetime
    ) -> None:
        self.household_id, self.township, self.village = household_id, township, village
        self.cases_opened = 0
        self.open_case: UUID | None = None
        self.status = "none"  # none, monitored, cleared
        self.category: str | None = None
        self.monitored_since: date | None = None
        self.cleared_on: date | None = None
        self.periods: list[dict[str, Any]] = []  # each monitoring period, kept after clearance
        self.plan: dict[str, PlanMeasure] = {}
        self.updated_at = at

    # -- queries -------------------------------------------------------------------

    @property
    def monitored(self) -> bool:
        return self.status == "monitored"

    def measures_done(self) -> int:
        return sum(1 for m in self.plan.values() if m.state == "done")

    # -- commands ------------------------------------------------------------------

    def case_opened(self, case_id: UUID, at: datetime) -> None:
        if self.open_case is not None:
            raise TaskError("the household already has an open case")
        self._case_opened(case_id=case_id, at=at)

    def case_decided(
        self, case_id: UUID, outcome: str, category: str | None, on: date, at: datetime
    ) -> None:
        if self.open_case == case_id:
            self._case_decided(case_id=case_id, outcome=outcome, category=category, on=on, at=at)

    def add_measure(
        self,
        step: Acting,
        *,
        kind: str,
        department: str,
        due_on: date,
        note: str = "",
    ) -> str:
        check_measure("kind", kind)
        plain_text("department", department, DEPARTMENT_MAX, least=1)
        plain_text("note", note, NOTE_MAX)
        who, at = step.who, step.at
        if due_on < day(at):
            raise TaskInputError("due_on", "past", "a measure is due today or later")
        self._allow(step)
        if not self.monitored:
            raise TaskError("cannot plan: the household is not a monitoring object")
        measure_id = f"m{len(self.plan) + 1}"
        self._measure_added(
            measure_id=measure_id, kind=kind, department=department, due_on=due_on,
            note=note, by=who.name, at=at,
        )  # fmt: skip
        return measure_id

    def update_measure(
        self,
        step: Acting,
        *,
        measure_id: str,
        state: str,
        note: str = "",
    ) -> None:
        if state not in MEASURE_STATES:
            raise TaskInputError("state", "unknown_state", f"one of {', '.join(MEASURE_STATES)}")
        plain_text("note", note, NOTE_MAX)
        self._allow(step)
        who, at = step.who, step.at
        measure = self.plan.get(measure_id)
        if measure is None:
            raise TaskError(f"no measure {measure_id}")
        if measure.state in ("done", "cancelled"):
            raise TaskError(f"cannot change the measure: it is {measure.state}")
        self._measure_updated(measure_id=measure_id, state=state, note=note, by=who.name, at=at)

    def _allow(self, step: Acting) -> None:
        who = step.who
        if who.role.value not in step.procedure.plan.roles:
            raise CaseForbidden(f"the {who.role.value} role does not keep help plans")
        if not who.sees(self.township, self.village):
            raise CaseForbidden("outside your area")

    # -- events --------------------------------------------------------------------

    @event("CaseOpened")
    def _case_opened(self, case_id: UUID, at: datetime) -> None:
        self.open_case = case_id
        self.cases_opened += 1
        self.updated_at = at

    @event("CaseDecided")
    def _case_decided(
        self, case_id: UUID, outcome: str, category: str | None, on: date, at: datetime
    ) -> None:
        self.open_case = None
        if outcome == "monitored":
            self.status, self.category, self.monitored_since = "monitored", category, on
            self.cleared_on = None
            self.periods.append({"category": category, "from": on, "to": None})
        elif outcome == "cleared":
            self.status, self.cleared_on = "cleared", on
            if self.periods:
                self.periods[-1]["to"] = on
        self.updated_at = at

    @event("MeasureAdded")
    def _measure_added(
        self,
        measure_id: str,
        kind: str,
        department: str,
        due_on: date,
        note: str,
        by: str,
        at: datetime,
    ) -> None:
        self.plan[measure_id] = PlanMeasure(
            measure_id, kind, department, due_on, "planned", note, by, at, at,
            [{"at": at, "by": by, "state": "planned", "note": note}],
        )  # fmt: skip
        self.updated_at = at

    @event("MeasureUpdated")
    def _measure_updated(
        self, measure_id: str, state: str, note: str, by: str, at: datetime
    ) -> None:
        m = self.plan[measure_id]
        m.state, m.updated_at = state, at
        if note:
            m.note = note
        m.changes.append({"at": at, "by": by, "state": state, "note": note})
        self.updated_at = at
