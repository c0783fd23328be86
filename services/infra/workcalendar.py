"""The working-day calendar the deadlines count on: the State Council's
schedules as the chinese-calendar library holds them, with the procedure
file's days on top.

The library knows the years up to its release; each new year's schedule is
published around November of the year before. Until it is installed (a new
library) or given in the procedure file, that year's deadlines count Monday
to Friday: correct most weeks, wrong around the holidays. So the gap is said
at start (a warning) and at every scrape (a gauge), well before it matters.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import date

import chinese_calendar
from prometheus_client.core import Metric

from domain.procedure import Procedure
from domain.workdays import WorkCalendar
from services.infra import metrics

log = logging.getLogger(__name__)


def official(day: date) -> bool | None:
    """Whether the State Council's schedule makes ``day`` a working day
    (make-up weekend days included), or None for a year it does not hold."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # the library's answer for a year it lacks
        return None


def work_calendar(procedure: Procedure, days_off: Iterable[date] = ()) -> WorkCalendar:
    """The official schedule with the procedure file's days, and ``days_off``
    (the rules file's local holidays)."""
    c = procedure.calendar
    return WorkCalendar(official, [*c.days_off, *days_off], c.days_on, c.years)


def _years(today: date) -> tuple[int, int]:
    """This year and next: a deadline set now may fall in next year."""
    return today.year, today.year + 1


def unknown_years(calendar: WorkCalendar, today: date) -> list[int]:
    """Of this year and next, those neither the library nor the file knows."""
    return [y for y in _years(today) if not calendar.known(y)]


def report(calendar: WorkCalendar, today: date) -> list[int]:
    """Logs a warning for each year whose deadlines would be guessed; returns them."""
    years = unknown_years(calendar, today)
    for year in years:
        log.warning(
            "no working-day schedule for %d: deadlines in %d count Monday to Friday "
            "until the procedure file lists the year (calendar: years, days_off, days_on) "
            "or chinese-calendar is upgraded",
            year,
            year,
        )
    return years


def calendar_gauges(calendar: WorkCalendar, today: date) -> Iterator[Metric]:
    """Read at scrape time: 1 for a year whose schedule is known, 0 for one
    whose deadlines count Monday to Friday (alert on 0 before the year begins)."""
    yield metrics.gauge(
        "povwatch_calendar_year_known",
        "Whether the working-day schedule of this year and next is known (1) or "
        "deadlines count Monday to Friday (0)",
        ["year"],
        (([str(y)], 1.0 if calendar.known(y) else 0.0) for y in _years(today)),
    )
