"""Help tasks and the state alerting keeps per household.

- ``HelpTask``: what a township must do for a household, by when; every change
  records who made it and when.
- ``Watch``: one per household: its open task (one household, one plan) and
  what the last closed task covered (no alert storms).
- ``SilenceBook``: operators' silences, by household or by township and factor.

Each command checks its own input (lengths, required text, dates, personal
numbers) before the task's state, so every entry point (API, inbox, CLI)
refuses the same input with the same field and reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.countyday import day
from domain.policy import DEFAULT_SEVERITY
from domain.task_input import (
    DEPARTMENT_MAX,
    NOTE_MAX,
    SILENCE_REASON_MAX,
    PersonalText,
    TaskError,
    TaskInputError,
    plain_text,
)
from domain.vocabulary import LEVELS, MEASURES

__all__ = [
    "DEPARTMENT_MAX",
    "NOTE_MAX",
    "Factors",
    "HelpTask",
    "PersonalText",
    "Silence",
    "SilenceBook",
    "TaskError",
    "TaskInputError",
    "Watch",
]

OPEN_STATES = ("open", "acknowledged")

Factors = dict[str, dict[str, Any]]  # factor code -> severity, reason, figures


def rank(level: str) -> int:
    return LEVELS.index(level)


class HelpTask(Aggregate):
    @staticmethod
    def create_id(household_id: str, number: int) -> UUID:
        return uuid5(NAMESPACE_URL, f"/povwatch/tasks/{household_id}/{number}")

    @event("Created")
    def __init__(
        self,
        household_id: str,
        number: int,
        kind: str,
        rule_id: str,
        title: str,
        source: str,
        township: str | None,
        village: str | None,
        card: str | None,
        level: str,
        factors: Factors,
        measures: list[str],
        visit_due: date,
        measures_due: date,
        at: datetime,
        triggered_at: datetime | None = None,
    ) -> None:
        self.household_id, self.number = household_id, number
        self.triggered_at = triggered_at  # when the fact that opened it was stored
        self.kind, self.rule_id = kind, rule_id
        self.title, self.source = title, source
        self.township, self.village, self.card = township, village, card
        self.level, self.factors, self.measures = level, dict(factors), list(measures)
        self.visit_due, self.measures_due = visit_due, measures_due
        self.created_at = self.updated_at = at
        self.status = "open"
        self.escalation = 0
        self.escalated_at: datetime | None = None
        self.acknowledged_by: str | None = None
        self.visits: list[dict[str, Any]] = []
        self.measures_given: list[dict[str, Any]] = []
        self.outcome: str | None = None
        self.plan_factors: list[str] = []  # a plan task's new factors (kind "plan")
        self.history: list[dict[str, Any]] = [
            {"at": at, "by": "system", "what": "created", "detail": title}
        ]

    # -- state checks -------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    def _require_open(self, action: str) -> None:
        if not self.is_open:
            raise TaskError(f"cannot {action}: the task is {self.status}")

    def overdue_since(self, on: date) -> date | None:
        """The first missed deadline, if the task is open and late on ``on``."""
        if not self.is_open:
            return None
        missed = []
        if self.kind != "plan" and not self.visits and on > self.visit_due:
            missed.append(self.visit_due)
        if not self.measures_given and on > self.measures_due:
            missed.append(self.measures_due)
        return min(missed) if missed else None

    def wants_evidence(self, level: str, factors: Factors) -> bool:
        return rank(level) > rank(self.level) or bool(set(factors) - set(self.factors))

    # -- commands (each event records who and when) -------------------------

    def acknowledge(self, by: str, at: datetime) -> None:
        self._require_open("acknowledge")
        if self.status == "acknowledged":
            return
        self._acknowledged(by=by, at=at)

    def record_visit(self, by: str, at: datetime, visited_on: date, note: str) -> None:
        plain_text("note", note, NOTE_MAX)
        if visited_on > day(at):
            raise TaskInputError("visited_on", "future", "cannot be after today")
        self._require_open("record a visit")
        self._visit_recorded(by=by, at=at, visited_on=visited_on, note=note)

    def record_measure(self, by: str, at: datetime, kind: str, department: str) -> None:
        if kind not in MEASURES:
            raise TaskInputError("kind", "unknown_measure", f"one of {', '.join(MEASURES)}")
        plain_text("department", department, DEPARTMENT_MAX, least=1)
        self._require_open("record a measure")
        self._measure_recorded(by=by, at=at, kind=kind, department=department)

    def resolve(self, by: str, at: datetime, outcome: str) -> None:
        plain_text("outcome", outcome, NOTE_MAX, least=1)
        self._require_open("resolve")
        self._resolved(by=by, at=at, outcome=outcome)

    def dismiss(self, by: str, at: datetime, reason: str) -> None:
        plain_text("reason", reason, NOTE_MAX, least=1)
        self._require_open("dismiss")
        self._dismissed(by=by, at=at, reason=reason)

    def move_to_plan(self, factors: list[str], at: datetime) -> None:
        """The household is a monitoring object: this lead is a task on its plan."""
        if self.kind != "plan" and self.is_open:
            self._moved_to_plan(factors=list(factors), at=at)

    def escalate(self, level: int, at: datetime, reason: str) -> None:
        if self.is_open and level > self.escalation:
            self._escalated(level=level, at=at, reason=reason)

    def add_evidence(self, level: str, factors: Factors, at: datetime, by: str = "system") -> None:
        self._require_open("add evidence")
        self._evidence_added(level=level, factors=factors, at=at, by=by)

    # -- events ---------------------------------------------------------------

    def _log(self, at: datetime, by: str, what: str, detail: str = "") -> None:
        self.history.append({"at": at, "by": by, "what": what, "detail": detail})
        self.updated_at = at

    @event("Acknowledged")
    def _acknowledged(self, by: str, at: datetime) -> None:
        self.status, self.acknowledged_by = "acknowledged", by
        self._log(at, by, "acknowledged")

    @event("VisitRecorded")
    def _visit_recorded(self, by: str, at: datetime, visited_on: date, note: str) -> None:
        self.visits.append({"by": by, "visited_on": visited_on, "note": note})
        self._log(at, by, "visit recorded", f"{visited_on}: {note}")

    @event("MeasureRecorded")
    def _measure_recorded(self, by: str, at: datetime, kind: str, department: str) -> None:
        self.measures_given.append({"by": by, "kind": kind, "department": department, "at": at})
        self._log(at, by, "measure recorded", f"{kind} by {department}")

    @event("Resolved")
    def _resolved(self, by: str, at: datetime, outcome: str) -> None:
        self.status, self.outcome = "resolved", outcome
        self._log(at, by, "resolved", outcome)

    @event("Dismissed")
    def _dismissed(self, by: str, at: datetime, reason: str) -> None:
        self.status, self.outcome = "dismissed", reason
        self._log(at, by, "dismissed", reason)

    @event("MovedToPlan")
    def _moved_to_plan(self, factors: list[str], at: datetime) -> None:
        self.kind, self.plan_factors = "plan", list(factors)
        self._log(at, "system", "moved to the help plan")

    @event("Escalated")
    def _escalated(self, level: int, at: datetime, reason: str) -> None:
        self.escalation, self.escalated_at = level, at
        self._log(at, "system", f"escalated to level {level}", reason)

    @event("EvidenceAdded")
    def _evidence_added(self, level: str, factors: Factors, at: datetime, by: str) -> None:
        new = sorted(set(factors) - set(self.factors))
        raised = rank(level) > rank(self.level)
        self.factors.update(factors)
        if raised:
            self.level = level
        detail = ", ".join(new) if new else ""
        if raised:
            detail = (detail + "; " if detail else "") + f"level raised to {level}"
        self._log(at, by, "evidence added", detail)


@dataclass
class Closed:
    """What a closed task covered: its factors' severities, level and date."""

    at: datetime
    level: str
    severities: dict[str, str] = field(default_factory=dict)


class Watch(Aggregate):
    @staticmethod
    def create_id(household_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/povwatch/watch/{household_id}")

    @event("Started")
    def __init__(self, household_id: str, at: datetime) -> None:
        self.household_id = household_id
        self.monitored_since = at
        self.tasks_opened = 0
        self.open_task: UUID | None = None
        self.last_closed: Closed | None = None
        self.measures_given = 0

    def suppressed(self, level: str, factors: Factors, now: datetime, cooldown_days: int) -> bool:
        """After a task closes, the same factors do not re-open one unless they
        worsen or the cooldown has passed."""
        last = self.last_closed
        if last is None or now >= last.at + timedelta(days=cooldown_days):
            return False
        if rank(level) > rank(last.level):
            return False
        for code, f in factors.items():
            before = last.severities.get(code)
            if before is None or rank(f["severity"]) > rank(before):
                return False
        return True

    @event("TaskOpened")
    def task_opened(self, task_id: UUID, at: datetime) -> None:
        self.open_task = task_id
        self.tasks_opened += 1

    @event("TaskClosed")
    def task_closed(
        self, task_id: UUID, at: datetime, level: str, severities: dict[str, str], measures: int
    ) -> None:
        if self.open_task == task_id:
            self.open_task = None
        self.last_closed = Closed(at, level, dict(severities))
        self.measures_given += measures


@dataclass
class Silence:
    id: str
    reason: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    household_id: str | None = None
    township: str | None = None
    factor: str | None = None
    until_clear: bool = False
    ended_at: datetime | None = None
    ended_by: str | None = None
    end_reason: str | None = None

    def active(self, now: datetime) -> bool:
        return self.ended_at is None and now < self.expires_at

    def covers(self, household_id: str, township: str | None, factors: set[str]) -> bool:
        if self.household_id is not None:
            return self.household_id == household_id
        return self.township == township and (self.factor is None or factors <= {self.factor})


class SilenceBook(Aggregate):
    """All silences of the deployment (operators make few; one stream keeps
    them ordered and listable)."""

    ID = uuid5(NAMESPACE_URL, "/povwatch/silences")

    @staticmethod
    def create_id() -> UUID:
        return SilenceBook.ID

    @event("Opened")
    def __init__(self) -> None:
        self.silences: dict[str, Silence] = {}

    def silence(
        self,
        *,
        reason: str,
        created_by: str,
        at: datetime,
        expires_at: datetime,
        household_id: str | None = None,
        township: str | None = None,
        factor: str | None = None,
        until_clear: bool = False,
    ) -> str:
        plain_text("reason", reason, SILENCE_REASON_MAX, least=1)
        if (household_id is None) == (township is None):
            raise TaskInputError(
                "household_id",
                "scope",
                "silence either one household or a township (with a factor)",
            )
        if expires_at <= at:
            raise TaskInputError("expires_at", "expired", "a silence must expire in the future")
        if factor is not None and factor not in DEFAULT_SEVERITY:
            raise TaskInputError("factor", "unknown_factor", f"unknown factor {factor!r}")
        silence_id = f"s{len(self.silences) + 1}"
        self._created(
            silence_id=silence_id,
            reason=reason,
            created_by=created_by,
            at=at,
            expires_at=expires_at,
            household_id=household_id,
            township=township,
            factor=factor,
            until_clear=until_clear,
        )
        return silence_id

    def end(self, silence_id: str, by: str, at: datetime, reason: str) -> None:
        plain_text("reason", reason, SILENCE_REASON_MAX, least=1)
        s = self.silences.get(silence_id)
        if s is None:
            raise TaskError(f"no silence {silence_id}")
        if s.ended_at is None:
            self._ended(silence_id=silence_id, by=by, at=at, reason=reason)

    def covering(
        self, household_id: str, township: str | None, factors: set[str], now: datetime
    ) -> list[Silence]:
        return [
            s
            for s in self.silences.values()
            if s.active(now) and s.covers(household_id, township, factors)
        ]

    @event("SilenceCreated")
    def _created(
        self,
        silence_id: str,
        reason: str,
        created_by: str,
        at: datetime,
        expires_at: datetime,
        household_id: str | None,
        township: str | None,
        factor: str | None,
        until_clear: bool,
    ) -> None:
        self.silences[silence_id] = Silence(
            silence_id,
            reason,
            created_by,
            at,
            expires_at,
            household_id,
            township,
            factor,
            until_clear,
        )

    @event("SilenceEnded")
    def _ended(self, silence_id: str, by: str, at: datetime, reason: str) -> None:
        s = self.silences[silence_id]
        s.ended_at, s.ended_by, s.end_reason = at, by, reason
