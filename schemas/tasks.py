"""Help task documents: the tasks view, the HTTP API and the messages on
``povwatch.tasks`` (one message per task version, idempotent by id and version)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

SHOWN = {0: "normal", 1: "orange", 2: "red"}  # escalation as the county office sees it


class TaskFactor(BaseModel):
    code: str
    severity: str
    reason: str = Field(
        description="in plain words; on povwatch.tasks a health factor's reason states no amount"
    )
    figures: dict[str, str] = Field(
        default_factory=dict,
        description="the factor's figures; on povwatch.tasks a health factor "
        "(medical_cost_high, reimbursement_low) carries none",
    )


class HistoryEntry(BaseModel):
    at: datetime
    by: str
    what: str
    detail: str = ""


class TaskOut(BaseModel):
    task_id: str
    version: int
    household_id: str
    township: str | None
    village: str | None
    card: str | None
    # "plan": a monitoring object's new risk, worked on its help plan.
    kind: Literal["help", "identify", "review", "plan"]
    rule_id: str
    title: str
    source: str
    level: str
    factors: list[TaskFactor]
    suggested_measures: list[str]
    visit_due: date
    measures_due: date
    next_due: date | None  # the earliest deadline still to meet; None once closed
    status: Literal["open", "acknowledged", "resolved", "dismissed"]
    phase: Literal["open", "closed"]
    escalation: int
    shown: Literal["normal", "orange", "red"]
    created_at: datetime
    updated_at: datetime
    acknowledged_by: str | None
    visits: list[dict[str, Any]]
    measures_given: list[dict[str, Any]]
    outcome: str | None
    history: list[HistoryEntry]
    plan_factors: list[str] = Field(default_factory=list)  # a plan task's new factors

    @property
    def due_key(self) -> str:
        # Sorting key of the tasks view: overdue first, then by due date; closed last.
        return self.next_due.isoformat() if self.next_due else "9999-12-31"


class TaskPage(BaseModel):
    items: list[TaskOut]
    total: int
    limit: int
    offset: int
