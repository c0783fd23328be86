"""When the clearance job proposes a monitoring object's risk clearance
(风险消除), and of which kind: 帮扶消除 (the risk removed by help: the
plan's measures done) or 自然消除 (gone by itself: no measure needed).
Monitored long enough, income above the line over the procedure file's
stable months, someone able to work, and no risk left, not even at watch.
Pure: the job reads, this decides."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.monitoring import MonitoringRecord
from domain.procedure import Clearance, ClearanceKind
from domain.risk import RiskStatus
from domain.task_input import TaskInputError
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


def kind_of(record: MonitoringRecord, rule: Clearance) -> ClearanceKind:
    """帮扶消除 when the plan's measures are done, else 自然消除."""
    return "helped" if record.measures_done() >= max(rule.measures_done, 1) else "natural"


def kind_fits(kind: str, record: MonitoringRecord, rule: Clearance) -> None:
    """帮扶消除 needs at least the rule's measures done (one at least)."""
    least = max(rule.measures_done, 1)
    if kind == "helped" and record.measures_done() < least:
        raise TaskInputError(
            "kind", "no_measure_done", f"helped needs at least {least} plan measure done"
        )


def why_not_cleared(
    record: MonitoringRecord,
    status: RiskStatus,
    stable: Decimal | None,
    line: Decimal,
    rule: Clearance,
    today: date,
) -> str | None:
    """None when clearance is to be proposed, else the first reason not to.
    ``stable``: the per-capita income over the last ``rule.stable_months``,
    annualised."""
    if not record.monitored or record.monitored_since is None:
        return "not a monitoring object"
    if record.open_case is not None:
        return "a case is open"
    if today < months_later(record.monitored_since, rule.monitored_months):
        return f"monitored less than {rule.monitored_months} months"
    if status.labour_capable < 1:
        return "no one in the household can work (kept under assistance)"
    year = status.per_capita_income_yuan
    if stable is None or year is None or stable < line or year < line:
        return f"income not stable above the line for {rule.stable_months} months"
    if level_index(status.level) >= level_index("watch"):
        return f"risk is {status.level}"
    return None
