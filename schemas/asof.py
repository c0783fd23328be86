"""A household as of a date, as the HTTP API and the CLI show it."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from schemas.status import RiskStatusOut, TimelineEntryOut


class AsOfEntryOut(TimelineEntryOut):
    """A fact that happened by the day's end; ``late``: recorded after it."""

    recorded_at: datetime
    late: bool


class AsOfOut(BaseModel):
    """``known_then``: the risk from the facts recorded by the end of
    ``as_of`` (China time); ``known_now``: from the facts that happened by
    then, including those recorded later (``late_facts`` of them). Both are
    assessed on ``as_of`` under the policy in force that day
    (``policy_from``); null when nothing was known."""

    model_config = ConfigDict(from_attributes=True)

    household_id: str
    as_of: date
    cutoff: datetime
    policy_from: date | None
    known_then: RiskStatusOut | None
    known_now: RiskStatusOut | None
    changed: bool
    late_facts: int
    timeline: list[AsOfEntryOut] = []


class AsOfPage(BaseModel):
    """A page of one township's households as of a date (no timelines)."""

    as_of: date
    items: list[AsOfOut]
    total: int
    limit: int
    offset: int
