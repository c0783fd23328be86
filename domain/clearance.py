"""When the clearance job proposes a monitoring object's risk clearance
(风险消除): monitored long enough, enough plan measures done, income above
the line for the whole stable period, someone able to work, and no high
risk now. Pure: the job reads, this decides."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.monitoring import MonitoringRecord
from domain.procedure import Clearance
from domain.risk import RiskStatus
from domain.vocabulary import level_index


def months_later(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def why_not_cleared(
    record: MonitoringRecord, status: RiskStatus, line: Decimal, rule: Clearance, today: date
) -> str | None:
    """None when clearance is to be proposed, else the first reason not to."""
    if not record.monitored or record.monitored_since is None:
        return "not a monitoring object"
    if record.open_case is not None:
        return "a case is open"
    if today < months_later(record.monitored_since, rule.monitored_months):
        return f"monitored less than {rule.monitored_months} months"
    if record.measures_done() < rule.measures_done:
        return f"fewer than {rule.measures_done} plan measures done"
    if status.labour_capable < 1:
        return "no one in the household can work (kept under assistance)"
    half, year = status.half_year_per_capita_income_yuan, status.per_capita_income_yuan
    if half is None or year is None or half < line or year < line:
        return "income not stable above the line"
    if level_index(status.level) >= level_index("high"):
        return f"risk is {status.level}"
    return None
