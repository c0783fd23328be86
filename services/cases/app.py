"""The cases application: commands and queries of the monitoring procedure.

A lead (a department's data raising a help task, staff, a household, the
clearance job) opens a case for its household, or joins the open one: the
household's monitoring record keeps one open case at a time. Cases identify
and clear; help tasks help monitoring objects: any lead for a monitoring
object with no open case (a department's, staff's, the household's own)
opens no case but a plan task on its record (``domain/monitoring.py``), due
as the rules' deadlines say (``Deadlines.measures_due``). A lead taken
from the alerts' log is recorded with a tracking record of its notification
in the same transaction, so it is taken exactly once whatever restarts happen.
A decision is saved with the household's monitoring record; what it promises
beyond the case (its lead tasks closed, a contact erased) is the decided
follower's (``services/cases/decided.py``), which reads it from the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.persistence import IntegrityError, Tracking

from domain import countyday
from domain.access import Principal
from domain.case_input import Acting, CaseForbidden, check_clearance_kind
from domain.cases import Case, Lead
from domain.clearance import kind_fits
from domain.monitoring import MonitoringRecord, PlanTask
from domain.procedure import CaseKind, Procedure
from domain.rules import Deadlines
from domain.task_input import NOTE_MAX, TaskError, plain_text
from domain.workdays import WorkCalendar
from services.infra.metrics import STORE_RETRIES
from services.infra.processapp import TrackedApplication

log = logging.getLogger(__name__)

# Stage actions, by the case command's name.
ACTIONS = (
    "verify",
    "authorise",
    "help_first",
    "cross_check",
    "village_review",
    "post_notice",
    "record_objection",
    "close_notice",
    "township_review",
    "decide",
)


PLAN_CHANGES = ("add_measure", "update_measure", "close_plan_task", "change_category")


@dataclass(frozen=True)
class Place:
    """Where a household is, as a lead names it."""

    household_id: str
    township: str | None
    village: str | None
    card: str | None


@dataclass(frozen=True)
class ActedCase:
    """A step's case as saved, and the notification id that recorded it (the
    cases view reaches it before a page lists cases again)."""

    case: Case
    position: int


class Cases(TrackedApplication):
    name = "Cases"

    def __init__(
        self,
        env: dict[str, str],
        procedure: Procedure,
        calendar: WorkCalendar,
        clock: Callable[[], datetime],
        plan_deadlines: Callable[[str | None], Deadlines] = lambda card: Deadlines(),
    ) -> None:
        super().__init__(env)
        self.procedure, self.calendar, self.clock = procedure, calendar, clock
        # A lead naming no rule: its plan task's deadlines, by the household's card.
        self.plan_deadlines = plan_deadlines

    def acting(self, who: Principal, at: datetime) -> Acting:
        return Acting(who, at, self.procedure, self.calendar)

    # -- leads ------------------------------------------------------------------------

    def take_lead(
        self,
        place: Place,
        lead: Lead,
        kind: CaseKind = "identification",
        tracking: Tracking | None = None,
        plan_due: date | None = None,
    ) -> Case | PlanTask | None:
        """Opens a case for the household, or adds the lead to its open one;
        an identification lead of any channel for a monitoring object with no
        open case opens a plan task on its record instead, due on ``plan_due``
        (a department's: when its help task wants measures) or else as the
        rules' deadlines for the household's card say. None when ``tracking``
        was already recorded (the lead was taken)."""
        for attempt in range(3):
            now = self.clock()
            record = self.record(place.household_id) or MonitoringRecord(
                place.household_id, place.township, place.village, at=now
            )
            processing = ProcessingEvent[UUID](tracking=tracking)
            taken: Case | PlanTask
            if kind == "identification" and record.monitored and record.open_case is None:
                due = plan_due or self.plan_deadlines(place.card).measures_due(lead["at"])
                taken = self._plan_task(record, lead, due, now)
                processing.collect_events(record)
            elif record.open_case is not None:
                taken = self.case(record.open_case)
                taken.add_lead(lead, now)
                processing.collect_events(taken)
            else:
                taken = self._open(record, place, lead, kind, now)
                processing.collect_events(record, taken)
            try:
                self._commit(processing)
            except IntegrityError:
                if tracking and self.recorder.has_tracking_id(
                    tracking.application_name, tracking.notification_id
                ):
                    return None
                if attempt == 2:
                    raise
                STORE_RETRIES.labels("cases").inc()
                continue  # the record or case changed under us: take the lead again
            return taken
        raise AssertionError("unreachable")

    def _plan_task(
        self, record: MonitoringRecord, lead: Lead, due: date, now: datetime
    ) -> PlanTask:
        """The lead's new factors (those none of the household's cases was led
        by) as a task on its plan, due when the lead wants measures. A lead
        without a help task (staff's, the household's) has its plan task named
        from the record, the lead's channel and time."""
        known: set[str] = set()
        for number in range(1, record.cases_opened + 1):
            for earlier in self.case(Case.create_id(record.household_id, number)).leads:
                known.update(earlier.get("factors") or ())
        channel = str(lead.get("channel") or "department")
        task_id = lead.get("task_id") or str(
            uuid5(record.id, f"{channel}/{lead['at'].isoformat()}/{len(record.plan_tasks)}")
        )
        return record.open_plan_task(
            task_id=str(task_id), title=str(lead.get("title") or ""),
            level=str(lead.get("level") or ""),
            factors=record.new_factors(list(lead.get("factors") or ()), known),
            due_on=due, at=now, channel=channel,
        )  # fmt: skip

    def _open(
        self, record: MonitoringRecord, place: Place, lead: Lead, kind: CaseKind, now: datetime
    ) -> Case:
        p, today = self.procedure, countyday.day(now)
        stages = p.order(kind)
        due = p.stages[stages[0]].due.after(today, self.calendar)
        case = Case(
            household_id=place.household_id,
            number=record.cases_opened + 1,
            kind=kind,
            township=place.township,
            village=place.village,
            card=place.card,
            lead=lead,
            stages=stages,
            stage_due=due.on,
            due_assumed=due.assumed,
            decision_due=p.decision_within.after(today, self.calendar).on,
            at=now,
        )
        record.case_opened(case.id, now)
        log.info(
            "case opened",
            extra={"case_id": str(case.id), "household_id": place.household_id, "kind": kind},
        )
        return case

    def propose_clearance(
        self, household_id: str, who: Principal | None, reason: str, kind: str = "helped"
    ) -> Case:
        """A clearance case for a monitoring object, proposed by staff (``who``)
        or by the clearance job (None): 帮扶消除 (``kind="helped"``, the plan's
        measures done) or 自然消除 (``"natural"``, no measure needed)."""
        plain_text("reason", reason, NOTE_MAX, least=1)
        check_clearance_kind("kind", kind)
        record = self.record(household_id)
        if who is not None:
            if who.role.value not in self.procedure.clearance.roles:
                raise CaseForbidden(f"the {who.role.value} role does not propose clearance")
            if record is None or not who.sees(record.township, record.village):
                raise CaseForbidden("outside your area")
        if record is None or not record.monitored:
            raise TaskError("cannot propose clearance: the household is not a monitoring object")
        if record.open_case is not None:
            raise TaskError("cannot propose clearance: the household has an open case")
        if record.open_plan_tasks():
            # A new risk not yet answered on the plan: the risk is not gone.
            raise TaskError("cannot propose clearance: a plan task of a new risk is open")
        kind_fits(kind, record, self.procedure.clearance)
        lead = {
            "channel": "staff" if who else "job",
            "at": self.clock(),
            "title": reason,
            "by": who.name if who else "system",
            "clearance_kind": kind,
        }
        last = self.case(Case.create_id(household_id, record.cases_opened))
        place = Place(household_id, record.township, record.village, last.card)
        case = self.take_lead(place, lead, kind="clearance")
        assert isinstance(case, Case)
        return case

    # -- steps ------------------------------------------------------------------------

    def act(self, case_id: UUID, action: str, who: Principal, **kwargs: Any) -> ActedCase:
        if action not in ACTIONS:
            raise TaskError(f"unknown action {action!r}")
        for attempt in range(3):
            now = self.clock()
            case = self.case(case_id)
            getattr(case, action)(self.acting(who, now), **kwargs)
            objs: list[Any] = [case]
            if not case.is_open:
                record = self.repository.get(MonitoringRecord.create_id(case.household_id))
                record.case_decided(case.id, case.outcome, case.category, countyday.day(now), now)
                objs.append(record)
            try:
                recordings = self.save(*objs)
            except IntegrityError:
                if attempt == 2:
                    raise
                STORE_RETRIES.labels("cases").inc()
                continue  # another request changed the case first: act on what it left
            return ActedCase(case, max((r.notification.id for r in recordings), default=0))
        raise AssertionError("unreachable")

    def plan(self, household_id: str, who: Principal, change: str, **kwargs: Any) -> Any:
        """Adds (``change="add_measure"``) or updates a help plan's measure,
        closes a plan task with a reason (``close_plan_task``), or records the
        county's change of category (``change_category``)."""
        if change not in PLAN_CHANGES:
            raise TaskError(f"unknown plan change {change!r}")
        for attempt in range(3):
            record = self.record(household_id)
            if record is None:
                raise TaskError(f"no monitoring record for {household_id}")
            result = getattr(record, change)(self.acting(who, self.clock()), **kwargs)
            try:
                self.save(record)
            except IntegrityError:
                if attempt == 2:
                    raise
                continue
            return result
        raise AssertionError("unreachable")

    def plan_tasks_of(self, household_id: str) -> list[PlanTask]:
        record = self.record(household_id)
        return list(record.plan_tasks.values()) if record else []

    def escalations(self, case_ids: list[UUID], on: date) -> list[Case]:
        """Open cases whose stage is past its deadline: orange from the next
        working day, red (supervised from above) some days later (plan §4(1))."""
        later = self.procedure.escalation.second_level_after_days
        changed, at = [], self.clock()
        for case_id in case_ids:
            case = self._get(case_id)
            if case is None or (since := case.overdue_since(on)) is None:
                continue
            if on < self.calendar.next_workday(since).on:
                continue
            level = 2 if on.toordinal() > since.toordinal() + later else 1
            before = (case.escalation, case.escalated_stage)
            case.escalate(level, at, f"{case.stage} due {since.isoformat()}")
            if (case.escalation, case.escalated_stage) != before:
                changed.append(case)
        return changed

    # -- queries -------------------------------------------------------------------------

    def case(self, case_id: UUID) -> Case:
        try:
            return self.repository.get(case_id)
        except AggregateNotFoundError:
            raise TaskError(f"no case {case_id}") from None

    def case_at(self, case_id: UUID, version: int) -> Case:
        return self.repository.get(case_id, version=version)

    def record(self, household_id: str) -> MonitoringRecord | None:
        return self._get(MonitoringRecord.create_id(household_id))

    def record_at(self, record_id: UUID, version: int) -> MonitoringRecord:
        return self.repository.get(record_id, version=version)
