"""Departments' feeds as the views keep them and the API and pages show them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class ProblemOut(BaseModel):
    field: str
    type: str
    message: str
    reason_zh: str


class RejectionOut(BaseModel):
    """A message the monitor dead-lettered, as far as it may be kept: its
    envelope's codes (those that are no personal number) and its reasons,
    never its data."""

    key: str  # newest first in key order
    source: str  # who sent it: the signing account's department, else "topic:<name>"
    month: str  # YYYY-MM, China time, of when it was rejected
    reason: str  # its first problem's "field|type", for the top reasons
    rejected_at: datetime
    code: str
    event_id: str | None
    type: str | None
    household_id: str | None
    origin: str  # topic:partition:offset on the events topic
    problems: list[ProblemOut]


class FeedMonthOut(BaseModel):
    """A department's stored facts in one month (China time, by when stored)."""

    key: str  # source|month
    source: str
    month: str
    accepted: int
    last_at: datetime | None
    types: dict[str, int]


class ReasonCount(BaseModel):
    field: str
    type: str
    reason_zh: str
    messages: int


class SourceHealth(BaseModel):
    """One department's feed in one month."""

    source: str
    month: str
    last_message_at: datetime | None  # accepted or rejected, whichever came last
    accepted: int
    rejected: int
    rejection_rate: float
    top_reasons: list[ReasonCount]
    publishes_income: bool
    stale_income_households: int | None  # county-wide; only for income-publishing sources
    cadence_days: int | None
    cadence_basis: str | None
    silent: bool


class FeedHealth(BaseModel):
    month: str
    computed_at: datetime
    stale_income_households: int
    sources: list[SourceHealth]
