"""Working days as China counts them, for the procedure's deadlines.

The State Council publishes each year's schedule (statutory holidays off,
make-up working days on); ``official`` answers from it, or None for a day of
a year it does not know yet. The procedure file adds days the schedule does
not hold (a year published after the library, local days). A day neither
knows falls back to Monday to Friday, and the deadline says so (``assumed``):
a deadline is never silently wrong and never missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

Official = Callable[[date], bool | None]


@dataclass(frozen=True)
class Due:
    """A deadline, and whether a day counted on the way to it was guessed
    (Monday to Friday) because no schedule knew its year."""

    on: date
    assumed: bool = False


class WorkCalendar:
    def __init__(
        self,
        official: Official,
        days_off: Iterable[date] = (),
        days_on: Iterable[date] = (),
        years: Iterable[int] = (),
    ) -> None:
        """``days_off``/``days_on``: the procedure file's days (they win over
        the official schedule); ``years``: the years the file gives whole,
        so their other days follow Monday to Friday without being guessed."""
        self.official = official
        self.days_off, self.days_on = frozenset(days_off), frozenset(days_on)
        self.file_years = frozenset(years)

    def workday(self, day: date) -> tuple[bool, bool]:
        """(is it a working day, is that known rather than assumed)."""
        if day in self.days_off:
            return False, True
        if day in self.days_on:
            return True, True
        known = self.official(day)
        if known is not None:
            return known, True
        return day.weekday() < 5, day.year in self.file_years

    def known(self, year: int) -> bool:
        return year in self.file_years or self.official(date(year, 6, 30)) is not None

    def add(self, start: date, days: int) -> Due:
        """The day ``days`` working days after ``start``."""
        if days < 0:
            raise ValueError("a deadline counts forward")
        d, left, assumed = start, days, False
        while left:
            d += timedelta(days=1)
            working, known = self.workday(d)
            assumed = assumed or not known
            if working:
                left -= 1
        return Due(d, assumed)

    def next_workday(self, after: date) -> Due:
        """The first working day after ``after`` (an overdue stage turns
        orange on it)."""
        return self.add(after, 1)


def weekdays_only(day: date) -> bool | None:
    """A schedule that knows nothing: every day falls back to Monday to Friday."""
    return None
