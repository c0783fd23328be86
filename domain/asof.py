"""A household as of a date: what was known that day, and what is known now
about it.

Every stored event carries when it was recorded (its ``timestamp``) and,
for a department's fact, when the fact says it happened
(``ref.occurred_at``). A day ends at midnight on the county's clock
(``domain.countyday``: China time, UTC+8, no summer time), the day a township's staff and an inspection speak of. So:

- *known then*: the events recorded before the day ended, folded as the
  store held them that evening (a prefix of the stream);
- *known now*: the facts that happened before the day ended, whenever they
  were recorded; those recorded after the day ended are *late*.

Both are folded by ``domain.facts.fold`` and assessed by
``domain.risk.assess`` on that date under the policy the policy book has in
force on that date. Pure functions: no store, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from domain import countyday
from domain.facts import FactSheet, fold
from domain.policy import Policy, PolicyBook, PolicyError
from domain.risk import RiskStatus, assess
from domain.timeline import Entry, describe


class AsOfError(ValueError):
    """A date that cannot be answered; ``field`` names the input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def end_of_day(on: date) -> datetime:
    """The instant the day ``on`` ends on the county's clock (its next midnight)."""
    return countyday.end_of(on)


def check_date(on: date, today: date) -> None:
    """An as-of date is a day that has begun: tomorrow knows nothing yet."""
    if on > today:
        raise AsOfError("as_of", f"{on.isoformat()} is after today ({today.isoformat()})")


@dataclass(frozen=True)
class Line:
    """One fact of the day's timeline: what it says, when it was recorded,
    and whether it arrived after the day ended (late)."""

    entry: Entry
    recorded_at: datetime
    late: bool


@dataclass(frozen=True)
class AsOf:
    """A household on one day, as known then and as known now."""

    household_id: str
    on: date
    cutoff: datetime
    then: FactSheet | None  # None: nothing was recorded by the day's end
    now: FactSheet | None  # None: no fact had happened by the day's end
    risk_then: RiskStatus | None
    risk_now: RiskStatus | None
    policy_from: date | None  # the policy in force on the day, as the book has it
    lines: tuple[Line, ...]  # facts that happened by the day's end, in the order they happened

    @property
    def late(self) -> tuple[Line, ...]:
        return tuple(line for line in self.lines if line.late)

    @property
    def changed(self) -> bool:
        """Whether what is known now gives another level than what was known then."""
        then = self.risk_then.level if self.risk_then else None
        now = self.risk_now.level if self.risk_now else None
        return then != now


def _occurred(event: Any) -> datetime | None:
    ref = getattr(event, "ref", None)
    return ref.occurred_at if ref is not None else None


def known_then(events: Sequence[Any], cutoff: datetime) -> FactSheet | None:
    """The sheet from the events recorded before ``cutoff`` (oldest first)."""
    return fold(e for e in events if e.timestamp < cutoff)


def known_now(events: Sequence[Any], cutoff: datetime) -> FactSheet | None:
    """The sheet from the facts that happened before ``cutoff``, whenever
    they were recorded; the stream's opening is kept (it carries the code)."""
    kept = [e for e in events if (o := _occurred(e)) is None or o < cutoff]
    if len(kept) == sum(_occurred(e) is None for e in kept):
        return None
    return fold(kept)


def _policy(policies: PolicyBook, on: date) -> Policy:
    try:
        return policies.in_force(on)
    except PolicyError as e:  # a day before the first policy the book holds
        raise AsOfError("as_of", str(e)) from None


def as_of(household_id: str, events: Sequence[Any], on: date, policies: PolicyBook) -> AsOf:
    """A household's stream (its stored events, oldest first) seen on ``on``."""
    cutoff = end_of_day(on)
    then, now = known_then(events, cutoff), known_now(events, cutoff)
    if then is not None and then.last_fact_at is None:
        then = None  # the stream was open, but no fact stored yet
    policy = _policy(policies, on) if (then or now) else None
    lines = tuple(
        sorted(
            (
                Line(describe(e), e.timestamp, e.timestamp >= cutoff)
                for e in events
                if (occurred := _occurred(e)) is not None and occurred < cutoff
            ),
            key=lambda line: (line.entry.occurred_at, line.entry.version),
        )
    )
    return AsOf(
        household_id=household_id,
        on=on,
        cutoff=cutoff,
        then=then,
        now=now,
        risk_then=assess(then.facts, policy, on) if then and policy else None,
        risk_now=assess(now.facts, policy, on) if now and policy else None,
        policy_from=policy.effective_from if policy else None,
        lines=lines,
    )
