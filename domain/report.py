"""The monthly report's (月报) figures as pure tallies: what a month's
monitoring periods, help measures, cases and loan counts add up to. The
services feed them documents' fields; nothing here reads a store.

A month is its ``YYYY-MM`` text. A household is a monitoring object on a
day when one of its monitoring periods has begun by then and not ended
(a period ends on the day its risk is cleared): a household cleared and
identified again counts once for each day of either period, and is new in
the month its second period begins."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from domain.task_input import TaskInputError

# Plan §3(2)8: "将逾期率严格控制在1%以下" (the poverty micro-loans' overdue
# rate kept strictly below 1%).
LOAN_OVERDUE_LIMIT = Decimal("0.01")
TREND_MONTHS = 12
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month_days(month: str) -> tuple[date, date]:
    """The first and last day of ``YYYY-MM``; a 422 on the ``month`` field otherwise."""
    m = _MONTH.match(month)
    if m is None:
        raise TaskInputError("month", "invalid", "a month as YYYY-MM, e.g. 2026-11")
    first = date(int(m[1]), int(m[2]), 1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_index(month: str) -> int:
    """Months since year 0: a job's period, one per month."""
    first, _ = month_days(month)
    return first.year * 12 + first.month - 1


def previous_month(month: str) -> str:
    first, _ = month_days(month)
    return month_of(first - timedelta(days=1))


def months_up_to(month: str, count: int = TREND_MONTHS) -> list[str]:
    """The ``count`` months ending with ``month``, oldest first."""
    months = [month]
    while len(months) < count:
        months.append(previous_month(months[-1]))
    return months[::-1]


@dataclass(frozen=True)
class Period:
    """One monitoring period of a household: from its identification to the
    day its risk was cleared (None while it lasts)."""

    category: str | None
    start: date
    end: date | None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or self.end > day)


Key = tuple[str | None, str | None]  # (township, category or kind...)


@dataclass
class MonitoringTally:
    """Monitoring objects by township and category at the month's end, new
    and cleared in the month, and per township at each of the trend's
    month ends."""

    month: str
    months: list[str] = field(default_factory=list)
    objects: Counter[Key] = field(default_factory=Counter)
    new: Counter[Key] = field(default_factory=Counter)
    cleared: Counter[Key] = field(default_factory=Counter)
    trend: dict[str | None, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.months = months_up_to(self.month)
        self._first, self._last = month_days(self.month)
        self._ends = [month_days(m)[1] for m in self.months]

    def add(self, township: str | None, periods: Sequence[Period]) -> None:
        for p in periods:
            if p.covers(self._last):
                self.objects[(township, p.category)] += 1
            if self._first <= p.start <= self._last:
                self.new[(township, p.category)] += 1
            if p.end is not None and self._first <= p.end <= self._last:
                self.cleared[(township, p.category)] += 1
        counts = [sum(1 for p in periods if p.covers(end)) for end in self._ends]
        if any(counts) or township in self.trend:
            row = self.trend.setdefault(township, [0] * len(self._ends))
            for i, n in enumerate(counts):
                row[i] += n


@dataclass(frozen=True)
class Measure:
    """A plan measure: when it was added and each change of its state."""

    kind: str
    department: str
    added_on: date
    changes: Sequence[tuple[date, str]]  # (day, state), in order

    def state_on(self, day: date) -> str | None:
        """Its state at the end of ``day`` (None: not yet planned)."""
        if self.added_on > day:
            return None
        state = "planned"
        for on, s in self.changes:
            if on <= day:
                state = s
        return state


@dataclass
class MeasureTally:
    """Help measures by kind and department: planned by the month's end,
    added in the month, and by their state at its end."""

    month: str
    planned: Counter[Key] = field(default_factory=Counter)
    added: Counter[Key] = field(default_factory=Counter)
    states: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._first, self._last = month_days(self.month)

    def add(self, measures: Iterable[Measure]) -> None:
        for m in measures:
            state = m.state_on(self._last)
            if state is None:
                continue
            key = (m.kind, m.department)
            self.planned[key] += 1
            self.states[(m.kind, m.department, state)] += 1
            if m.added_on >= self._first:
                self.added[key] += 1


@dataclass
class LeadTally:
    """Cases opened in the month, by township and by their first lead's channel."""

    month: str
    channels: Counter[Key] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._first, self._last = month_days(self.month)

    def add(self, township: str | None, channel: str, opened_on: date) -> None:
        if self._first <= opened_on <= self._last:
            self.channels[(township, channel)] += 1


def overdue_ratio(outstanding: int, overdue: int) -> Decimal | None:
    """Overdue over outstanding (None when nothing is outstanding), to four places."""
    if outstanding <= 0:
        return None
    return (Decimal(overdue) / Decimal(outstanding)).quantize(Decimal("0.0001"))


def yuan_of_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


# A household whose card turned red: out of poverty before (yellow or green)
# it fell back into poverty (返贫); not registered as poor before (blue, or
# unknown to the registry) it newly fell into poverty (致贫).
RETURNED, NEWLY_POOR = "returned", "newly_poor"
_CHANGE_KINDS = (RETURNED, NEWLY_POOR)


def poverty_change(before: str | None, card: str | None) -> str | None:
    """返贫, 致贫 or neither for a card change from ``before`` to ``card``."""
    if card != "red":
        return None
    if before in ("yellow", "green"):
        return RETURNED
    if before in (None, "blue"):
        return NEWLY_POOR
    return None


def change_code(before: str | None, card: str | None, on: date | None) -> int:
    """The card change as one integer (the risk view's column): the month's
    index and the kind, so that a month's 返贫 and 致贫 are two values one
    grouped query counts; 0 for none."""
    kind = poverty_change(before, card) if on is not None else None
    if kind is None or on is None:
        return 0
    return (on.year * 12 + on.month - 1) * 4 + 1 + _CHANGE_KINDS.index(kind)


def change_codes(month: str) -> dict[int, str]:
    """The month's codes (``change_code``) and the kind each stands for."""
    base = month_index(month) * 4 + 1
    return {base + i: kind for i, kind in enumerate(_CHANGE_KINDS)}


def within_limit(ratio: Decimal | None) -> bool:
    """Plan §3(2)8: strictly below 1%."""
    return ratio is None or ratio < LOAN_OVERDUE_LIMIT


@dataclass(frozen=True)
class StageRow:
    stage: str
    open: int
    overdue: int

    @property
    def on_time(self) -> int:
        return self.open - self.overdue


def stage_rows(
    open_by_stage: Mapping[str, int], overdue_by_stage: Mapping[str, int], order: Sequence[str]
) -> list[StageRow]:
    """Open stages on time and overdue, in the procedure's order (a stage
    the procedure no longer names, last)."""
    names = [*order, *sorted(set(open_by_stage) - set(order))]
    return [
        StageRow(s, open_by_stage.get(s, 0), overdue_by_stage.get(s, 0))
        for s in names
        if s in open_by_stage or s in order
    ]


def by_first(counter: Mapping[tuple[str | None, ...], int]) -> dict[str | None, int]:
    """Sums a counter keyed by tuples over everything but the first element."""
    out: dict[str | None, int] = {}
    for key, n in counter.items():
        out[key[0]] = out.get(key[0], 0) + n
    return out


def by_second(counter: Mapping[tuple[str | None, ...], int]) -> dict[str | None, int]:
    out: dict[str | None, int] = {}
    for key, n in counter.items():
        out[key[1]] = out.get(key[1], 0) + n
    return out
