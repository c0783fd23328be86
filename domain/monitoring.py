"""A household's monitoring record: its cases, whether it is a monitoring
object (监测对象) and of which category, its help plan (一户一策), and when
its risk was cleared. One per household, kept after clearance with its whole
history; a cleared household can become a lead again.

The record is also what keeps one open case per household: a lead for a
household with an open case joins that case. Cases identify and clear; help
tasks help monitoring objects: a monitoring object's new risk (a
department's, staff's or its own declaration) is a plan task on this record (its new factors, its township's
deadline), done when a measure answering each new factor joins the plan or
when staff record why none is needed; a change of category is the county's
decision recorded here, with no new case and no notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, get_args
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.case_input import Acting, CaseForbidden, check_measure, stamp
from domain.countyday import day
from domain.procedure import CATEGORIES
from domain.task_input import DEPARTMENT_MAX, NOTE_MAX, TaskError, TaskInputError, plain_text
from domain.vocabulary import FACTOR_CODES

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
    answers: str | None = None  # the risk factor the measure answers (none before plan tasks)


@dataclass
class PlanTask:
    """A monitoring object's new risk, to be answered on its help plan by
    its township: ``factors`` are the new ones, each answered by a measure
    (``answered``: factor -> measure id) or the task closed with a reason."""

    task_id: str
    title: str
    level: str
    factors: list[str]
    township: str | None
    due_on: date
    opened_at: datetime
    state: str = "open"  # open, done (every factor answered), closed (no measure needed)
    answered: dict[str, str] = field(default_factory=dict)
    reason: str = ""
    closed_by: str | None = None
    closed_at: datetime | None = None
    # Who raised the new risk: a department's help task (``task_id`` is its
    # id, closed with the plan task), or staff or the household (no help task).
    channel: str = "department"

    @property
    def is_open(self) -> bool:
        return self.state == "open"


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
        self.plan_tasks: dict[str, PlanTask] = {}
        self.category_changes: list[dict[str, Any]] = []
        self.updated_at = at

    # -- queries -------------------------------------------------------------------

    @property
    def monitored(self) -> bool:
        return self.status == "monitored"

    def measures_done(self) -> int:
        return sum(1 for m in self.plan.values() if m.state == "done")

    def open_plan_tasks(self) -> list[PlanTask]:
        return [t for t in self.plan_tasks.values() if t.is_open]

    def new_factors(self, factors: list[str], known: set[str]) -> list[str]:
        """The factors a lead brings that neither identified the household
        (``known``: its cases' leads) nor a measure of its plan answers; all
        of them when none is new (a known risk back after its task closed)."""
        answered = {m.answers for m in self.plan.values() if m.answers}
        new = [f for f in factors if f not in known and f not in answered]
        return new or list(factors)

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

    def open_plan_task(
        self,
        *,
        task_id: str,
        title: str,
        level: str,
        factors: list[str],
        due_on: date,
        at: datetime,
        channel: str = "department",
    ) -> PlanTask:
        """A lead for a monitoring object with no open case (a department's,
        staff's or the household's): a plan task for its township, never a
        second identification."""
        if not self.monitored or self.open_case is not None:
            raise TaskError("a plan task is for a monitoring object with no open case")
        if task_id in self.plan_tasks:
            return self.plan_tasks[task_id]
        self._plan_task_opened(
            task_id=task_id, title=title, level=level, factors=list(factors),
            township=self.township, due_on=due_on, at=at, channel=channel,
        )  # fmt: skip
        return self.plan_tasks[task_id]

    def add_measure(
        self,
        step: Acting,
        *,
        kind: str,
        department: str,
        due_on: date,
        note: str = "",
        answers: str | None = None,
    ) -> str:
        check_measure("kind", kind)
        plain_text("department", department, DEPARTMENT_MAX, least=1)
        plain_text("note", note, NOTE_MAX)
        if answers is not None and answers not in FACTOR_CODES:
            raise TaskInputError("answers", "unknown_factor", f"unknown factor {answers!r}")
        who, at = step.who, step.at
        if due_on < day(at):
            raise TaskInputError("due_on", "past", "a measure is due today or later")
        self._allow(step)
        if not self.monitored:
            raise TaskError("cannot plan: the household is not a monitoring object")
        measure_id = f"m{len(self.plan) + 1}"
        self._measure_added(
            measure_id=measure_id, kind=kind, department=department, due_on=due_on,
            note=note, by=who.name, at=at, answers=answers,
        )  # fmt: skip
        # Saved with the measure: the plan tasks it completes (every new factor answered).
        for task in self.open_plan_tasks():
            if answers in task.factors and set(task.factors) <= {*task.answered, answers}:
                self._plan_task_done(task_id=task.task_id, measure_id=measure_id, at=at)
        return measure_id

    def close_plan_task(self, step: Acting, *, task_id: str, reason: str) -> None:
        """Staff record why the new risk needs no measure."""
        plain_text("reason", reason, NOTE_MAX, least=1)
        self._allow(step)
        task = self.plan_tasks.get(task_id)
        if task is None:
            raise TaskError(f"no plan task {task_id}")
        if not task.is_open:
            raise TaskError(f"cannot close the plan task: it is {task.state}")
        self._plan_task_closed(task_id=task_id, reason=reason, **stamp(step))

    def change_category(self, step: Acting, *, category: str, reason: str) -> None:
        """The county's decision to change a monitoring object's category (by
        the roles of the county decision): recorded here, no case, no notice."""
        if category not in CATEGORIES:
            raise TaskInputError("category", "unknown_category", f"one of {', '.join(CATEGORIES)}")
        plain_text("reason", reason, NOTE_MAX, least=1)
        who = step.who
        if who.role.value not in step.procedure.roles("county_decision"):
            raise CaseForbidden(f"the {who.role.value} role does not decide categories")
        if not who.sees(self.township, self.village):
            raise CaseForbidden("outside your area")
        if not self.monitored:
            raise TaskError("cannot change the category: the household is not a monitoring object")
        if category == self.category:
            raise TaskError(f"the category is {category} already")
        self._category_changed(
            category=category, before=self.category, reason=reason, on=day(step.at), **stamp(step)
        )

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
        answers: str | None = None,  # a default: measures stored before it load
    ) -> None:
        self.plan[measure_id] = PlanMeasure(
            measure_id, kind, department, due_on, "planned", note, by, at, at,
            [{"at": at, "by": by, "state": "planned", "note": note}], answers,
        )  # fmt: skip
        for task in self.open_plan_tasks():
            if answers in task.factors:
                task.answered.setdefault(answers, measure_id)
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

    @event("PlanTaskOpened")
    def _plan_task_opened(
        self,
        task_id: str,
        title: str,
        level: str,
        factors: list[str],
        township: str | None,
        due_on: date,
        at: datetime,
        channel: str = "department",  # absent from events stored before staff's plan tasks
    ) -> None:
        self.plan_tasks[task_id] = PlanTask(
            task_id, title, level, factors, township, due_on, at, channel=channel
        )
        self.updated_at = at

    @event("PlanTaskDone")
    def _plan_task_done(self, task_id: str, measure_id: str, at: datetime) -> None:
        task = self.plan_tasks[task_id]
        task.state, task.closed_at = "done", at
        task.reason = f"answered by {measure_id}"
        self.updated_at = at

    @event("PlanTaskClosed")
    def _plan_task_closed(
        self, task_id: str, reason: str, by: str, role: str, at: datetime
    ) -> None:
        task = self.plan_tasks[task_id]
        task.state, task.reason, task.closed_by, task.closed_at = "closed", reason, by, at
        self.updated_at = at

    @event("CategoryChanged")
    def _category_changed(
        self,
        category: str,
        before: str | None,
        reason: str,
        on: date,
        by: str,
        role: str,
        at: datetime,
    ) -> None:
        self.category = category
        self.category_changes.append(
            {"on": on, "from": before, "to": category, "reason": reason, "by": by, "role": role}
        )
        self.updated_at = at
