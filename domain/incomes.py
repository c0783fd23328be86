"""A household's income over the windows the risk rules read: the 12 months
before the day, the 12 before those and the last 6, each report prorated by
the days of its period inside a window; civil affairs' counted grants added
as transfer income and members counted for the days they were members
(``domain.standard``). Pure, as ``domain.risk`` which reads it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from domain.facts import Facts, Income
from domain.policy import Policy
from domain.standard import assistance_income, average_members

CENT = Decimal("0.01")
ONE_DAY = timedelta(days=1)


def money(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def window_incomes(
    incomes: list[Income], windows: tuple[tuple[date, date], ...]
) -> list[Decimal | None]:
    """Income falling in each window [start, end), each report prorated by the
    share of its period inside the window; None for a window no report touches.

    One pass for all windows, and a report wholly inside a window is added
    as it is: assessment runs for every touched household on every batch,
    and a household's reports pile up month after month."""
    bounds = [(start, end - ONE_DAY) for start, end in windows]
    totals: list[Decimal | None] = [None] * len(bounds)
    earliest = min(lo for lo, _ in bounds)
    latest = max(hi for _, hi in bounds)
    for inc in incomes:
        first, last = inc.period_start, inc.period_end
        # Years of monthly reports pile up; most fall before every window.
        if last < earliest or first > latest:
            continue
        for k, (lo, hi) in enumerate(bounds):
            if last < lo or first > hi:
                continue
            if first >= lo and last <= hi:
                share = inc.amount_yuan
            else:
                overlap = (min(last, hi) - max(first, lo)).days + 1
                share = inc.amount_yuan * Decimal(overlap) / Decimal((last - first).days + 1)
            total = totals[k]
            totals[k] = share if total is None else total + share
    return totals


def year_before(on: date) -> date:
    try:
        return on.replace(year=on.year - 1)
    except ValueError:  # 29 February
        return on.replace(year=on.year - 1, day=28)


def months_before(on: date, months: int) -> date:
    year, month = divmod(on.year * 12 + on.month - 1 - months, 12)
    day = min(on.day, 28)
    return date(year, month + 1, day)


class Incomes(NamedTuple):
    """A household's income over the windows the rules read."""

    reported: bool  # some income report falls in the 12 months
    year: Decimal | None  # the 12 months before the evaluation date
    per_capita: Decimal | None
    previous_per_capita: Decimal | None  # the 12 months before those
    half_year_per_capita: Decimal | None  # the last 6 months, annualised


def incomes_of(facts: Facts, policy: Policy, start: date, on: date) -> Incomes:
    windows = ((start, on), (year_before(start), start), (months_before(on, 6), on))
    year, previous, half = window_incomes(facts.incomes, windows)
    reported = year is not None
    if facts.assistance or facts.member_changes:
        return standard_incomes(facts, policy, windows, [year, previous, half], reported)
    members = max(facts.members, 1)
    return Incomes(
        reported,
        year,
        money(year / members) if year is not None else None,
        money(previous / members) if previous is not None else None,
        money(half * 2 / members) if half is not None else None,
    )


def standard_incomes(
    facts: Facts,
    policy: Policy,
    windows: tuple[tuple[date, date], ...],
    totals: list[Decimal | None],
    reported: bool,
) -> Incomes:
    """The windows' incomes with civil affairs' counted grants as transfer
    income, per member counted for the days they were one (domain.standard)."""
    if facts.assistance:
        for k, (lo, end) in enumerate(windows):
            paid = assistance_income(facts.assistance, policy.transfer_schemes, lo, end - ONE_DAY)
            if paid:
                total = totals[k]
                totals[k] = paid if total is None else total + paid
    if facts.member_changes:
        heads = [average_members(facts, lo, end - ONE_DAY) for lo, end in windows]
    else:
        heads = [Decimal(max(facts.members, 1))] * 3
    year, previous, half = totals
    return Incomes(
        reported,
        year,
        money(year / heads[0]) if year is not None else None,
        money(previous / heads[1]) if previous is not None else None,
        money(half * 2 / heads[2]) if half is not None else None,
    )


def recent_per_capita(facts: Facts, policy: Policy, on: date, months: int) -> Decimal | None:
    """The per-capita income of the last ``months`` before ``on``, annualised
    (clearance's stable period, the procedure file's ``stable_months``);
    None when no report falls in it."""
    window = ((months_before(on, months), on),)
    totals = window_incomes(facts.incomes, window)
    if facts.assistance or facts.member_changes:
        per = standard_incomes(facts, policy, window * 3, totals * 3, True).per_capita
    else:
        per = None if totals[0] is None else totals[0] / max(facts.members, 1)
    return None if per is None else money(per * 12 / months)
