"""Case documents: the cases view, the HTTP API and the messages on
``povwatch.cases`` (one message per case or monitoring record version,
idempotent by id and version). None holds a personal number: households are
named by their code, staff by their account name."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from domain.case_input import DeclineReason
from schemas.tasks import SHOWN

__all__ = ["SHOWN", "CaseOut", "CasePage", "MonitoringOut", "NoticeOut", "StepOut"]

StageName = Literal[
    "verify", "crosscheck", "village_review", "notice", "township_review", "county_decision"
]


class StepOut(BaseModel):
    """One entry of a case's history: who, in which role, when, what."""

    at: datetime
    by: str
    role: str
    stage: StageName | None
    what: str
    detail: str = ""


class LeadOut(BaseModel):
    channel: Literal["department", "staff", "household", "job"]
    at: datetime
    rule_id: str | None = None
    title: str | None = None
    source: str | None = None
    level: str | None = None
    factors: list[str] = Field(default_factory=list)
    task_id: str | None = None


class CaseOut(BaseModel):
    kind_of_message: Literal["case"] = "case"
    case_id: str
    version: int
    household_id: str
    number: int
    kind: Literal["identification", "clearance"]
    channel: str
    township: str | None
    village: str | None
    card: str | None
    stage: StageName | None  # None once decided
    stage_started: date
    stage_due: date | None  # None once decided
    due_assumed: bool  # the deadline counted a day no holiday schedule knew (Monday-Friday)
    decision_due: date
    status: Literal["open", "monitored", "declined", "cleared", "kept"]
    phase: Literal["open", "closed"]
    escalation: int
    shown: Literal["normal", "orange", "red"]
    proposal: str | None
    category: Literal["unstable", "marginal", "sudden"] | None
    # A clearance's kind: 帮扶消除 (helped) or 自然消除 (natural).
    clearance_kind: Literal["helped", "natural"] | None = None
    # 绿色通道 (先帮后认): help measures given before the decision.
    help_first: list[dict[str, Any]] = Field(default_factory=list)
    notice: dict[str, Any] | None
    objections: list[dict[str, Any]]
    records: dict[str, dict[str, Any]]
    reason: str
    # A declined identification's category of reason: what the household is told.
    reason_category: DeclineReason | None = None
    leads: list[LeadOut]
    opened_at: datetime
    updated_at: datetime
    history: list[StepOut]

    @property
    def due_key(self) -> str:
        # Sorting key of the cases view: earliest deadline first; closed last.
        return self.stage_due.isoformat() if self.stage_due else "9999-12-31"

    @property
    def decision_key(self) -> str:
        # The lead-to-decision deadline of an open case (closed: never past).
        return self.decision_due.isoformat() if self.stage_due else "9999-12-31"


class CasePage(BaseModel):
    items: list[CaseOut]
    total: int
    limit: int
    offset: int


class NoticeOut(BaseModel):
    """What the village notice shows: never an ID, phone or bank number, or
    any health detail. The head's name and the household's size come from
    the registry when the notice is printed (``head_name``, ``members``), and
    where objections go from the procedure file (an office's telephone)."""

    case_id: str
    kind: Literal["identification", "clearance"]
    township: str | None
    village: str | None
    household_id: str
    category: Literal["unstable", "marginal", "sudden"] | None
    clearance_kind: Literal["helped", "natural"] | None = None
    starts_on: date
    ends_on: date
    posted_by_role: str
    objections: int
    head_name: str | None = None
    members: int | None = None
    office_phone: str | None = None
    hotline: str | None = None


class MeasureOut(BaseModel):
    id: str
    kind: str
    department: str
    due_on: date
    state: Literal["planned", "in_progress", "done", "cancelled"]
    note: str
    added_by: str
    added_at: datetime
    updated_at: datetime
    changes: list[dict[str, Any]]
    answers: str | None = None  # the risk factor the measure answers


class PlanTaskOut(BaseModel):
    """A monitoring object's new risk, a task on its help plan for its township."""

    task_id: str
    title: str
    level: str
    factors: list[str]  # the new factors, each to be answered by a measure
    township: str | None
    due_on: date
    opened_at: datetime
    state: Literal["open", "done", "closed"]
    answered: dict[str, str]  # factor -> the measure that answers it
    reason: str  # why no measure is needed (closed), or which measure answered it (done)
    closed_by: str | None
    closed_at: datetime | None
    # department (its help task is on the work list too), staff or household
    channel: str = "department"


class PlanLeadOut(BaseModel):
    """A lead for a monitoring object: a task added to its help plan (帮扶计划),
    not a second identification."""

    household_id: str
    added_to: Literal["plan"] = "plan"
    plan_task: PlanTaskOut


class MonitoringOut(BaseModel):
    kind_of_message: Literal["monitoring"] = "monitoring"
    household_id: str
    version: int
    township: str | None
    village: str | None
    status: Literal["none", "monitored", "cleared"]
    category: Literal["unstable", "marginal", "sudden"] | None
    monitored_since: date | None
    cleared_on: date | None
    cases_opened: int
    open_case: str | None
    periods: list[dict[str, Any]]
    plan: list[MeasureOut]
    measures_done: int
    updated_at: datetime
    plan_tasks: list[PlanTaskOut] = Field(default_factory=list)
    # The county's changes of category, each with its day, reason, who and role.
    category_changes: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def since_month(self) -> str | None:
        return self.monitored_since.isoformat()[:7] if self.monitored_since else None

    @property
    def cleared_month(self) -> str | None:
        return self.cleared_on.isoformat()[:7] if self.cleared_on else None
