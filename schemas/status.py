"""The risk status read model as the HTTP API and the CLI show it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class FactorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    severity: str
    reason: str
    figures: dict[str, str]


class RiskStatusOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    household_id: str
    registered: bool
    township: str | None
    village: str | None
    card: str | None
    members: int
    labour_capable: int
    evaluated_on: date
    policy_from: date
    per_capita_income_yuan: Decimal | None
    previous_per_capita_income_yuan: Decimal | None
    half_year_per_capita_income_yuan: Decimal | None
    income_stale: bool
    medical_self_paid_yuan: Decimal
    employed_members: int
    housing_damage: str
    open_loans: int
    overdue_loans: int
    factors: list[FactorOut]
    level: str
    guarantees: list[str] = []  # the standard's guarantees failing, domain.standard's order
    house_fix_overdue: bool = False
    water_fix_overdue: bool = False  # unsafe water past its fix-by day (plan §3(2)5)
    open_balance_fen: int = 0  # open poverty micro-loans' balance
    overdue_balance_fen: int = 0  # the overdue ones' balance (plan §3(2)8)
    card_before: str | None = None  # the card before its last change (None: not registered)
    card_changed_on: date | None = None


class TimelineEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    occurred_at: datetime | None
    source: str | None
    event_id: str | None
    kind: str
    text: str


class StatusPage(BaseModel):
    items: list[RiskStatusOut]
    total: int
    limit: int
    offset: int


class StandardRow(BaseModel):
    """One township's households failing each of the standard's guarantees."""

    township: str | None  # None: the county's totals
    households: int
    failing: dict[str, int]  # guarantee -> households failing it
    houses_past_deadline: int  # C or D houses past their fix-by day (plan §3(2)3)
    water_past_deadline: int = 0  # unsafe water past its fix-by day (plan §3(2)5)
    # 不愁吃, 不愁穿: households whose latest home verification found it not met
    found_at_visit: dict[str, int] = Field(default_factory=dict)


class StandardPicture(BaseModel):
    guarantees: list[str]  # in the standard's order (domain/standard.py)
    found_at_visit: list[str] = []  # the visit's findings counted (domain/twoworries.py)
    rows: list[StandardRow]
    totals: StandardRow
