"""Working days on the State Council's real schedules (the chinese-calendar
library as installed), the procedure file's days for a year it lacks, and
the warning and gauge that say when a year's deadlines are guessed."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from pydantic import ValidationError

from domain.procedure import CalendarDays
from domain.workdays import Due
from services.infra.procedurefile import DEFAULT_PROCEDURE, load_procedure, parse_procedure
from services.infra.workcalendar import (
    calendar_gauges,
    official,
    report,
    unknown_years,
    work_calendar,
)

PROCEDURE = load_procedure(None)
CAL = work_calendar(PROCEDURE)

# 2027's schedule as a county would add it to the procedure file once it is
# published (the days here are made up for the test: 2027-10-01..07 off,
# Saturday 10-09 worked).
WITH_2027 = DEFAULT_PROCEDURE.read_text(encoding="utf-8").replace(
    "  years: []\n  days_off: []\n  days_on: []\n",
    "  years: [2027]\n"
    "  days_off: [2027-10-01, 2027-10-02, 2027-10-03, 2027-10-04, 2027-10-05,\n"
    "             2027-10-06, 2027-10-07]\n"
    "  days_on: [2027-10-09]\n",
)


def test_the_library_holds_2026s_national_day():
    # Mid-autumn 09-25..27 and National Day 10-01..07 off; Sunday 09-20 and
    # Saturday 10-10 are make-up working days (调休).
    assert [d for d in range(25, 28) if official(date(2026, 9, d))] == []
    assert [d for d in range(1, 8) if official(date(2026, 10, d))] == []
    assert official(date(2026, 9, 20)) is True and official(date(2026, 10, 10)) is True
    assert official(date(2026, 10, 11)) is False  # an ordinary Sunday
    assert official(date(2027, 1, 4)) is None  # a year the library lacks


def test_two_working_days_across_national_day_2026():
    # A lead on Wednesday 09-30: the week off, then Thursday 10-08 and Friday 10-09.
    assert CAL.add(date(2026, 9, 30), 2) == Due(date(2026, 10, 9), assumed=False)
    # Mid-autumn: a lead on Thursday 09-24 is due on Tuesday 09-29.
    assert CAL.add(date(2026, 9, 24), 2) == Due(date(2026, 9, 29))


def test_a_make_up_weekend_day_counts_as_a_working_day():
    # Thursday 10-08 + 2: Friday 10-09, then the make-up Saturday 10-10.
    assert CAL.add(date(2026, 10, 8), 2) == Due(date(2026, 10, 10))
    # Friday 09-18: Saturday 09-19 is off, Sunday 09-20 is worked.
    assert CAL.next_workday(date(2026, 9, 18)) == Due(date(2026, 9, 20))


def test_a_year_no_one_knows_counts_monday_to_friday_and_says_so():
    # Thursday 2027-09-30: Friday 10-01 and Monday 10-04, guessed.
    assert CAL.add(date(2027, 9, 30), 2) == Due(date(2027, 10, 4), assumed=True)
    # Across new year: 2026-12-31 + 1 is 2027-01-01, a guessed Friday.
    assert CAL.add(date(2026, 12, 31), 1) == Due(date(2027, 1, 1), assumed=True)
    assert CAL.add(date(2026, 12, 30), 1) == Due(date(2026, 12, 31), assumed=False)


def test_the_procedure_file_gives_2027_and_its_deadlines_are_known():
    procedure = parse_procedure(WITH_2027, "procedure.yaml")
    assert procedure.calendar.years == [2027]
    cal = work_calendar(procedure)
    # Thursday 2027-09-30: 10-01..07 off, Friday 10-08, then Saturday 10-09 worked.
    assert cal.add(date(2027, 9, 30), 2) == Due(date(2027, 10, 9), assumed=False)
    # An ordinary week of the listed year follows Monday to Friday, known.
    assert cal.add(date(2027, 3, 5), 1) == Due(date(2027, 3, 8), assumed=False)
    assert unknown_years(cal, date(2026, 12, 1)) == []


def test_next_years_gap_is_reported_at_start(caplog):
    assert unknown_years(CAL, date(2026, 6, 1)) == [2027]
    assert unknown_years(CAL, date(2026, 12, 1)) == [2027]
    assert unknown_years(CAL, date(2025, 12, 1)) == []
    assert unknown_years(CAL, date(2027, 3, 1)) == [2027, 2028]
    with caplog.at_level(logging.WARNING, "services.infra.workcalendar"):
        assert report(CAL, date(2026, 12, 1)) == [2027]
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert "2027" in record.getMessage() and "Monday to Friday" in record.getMessage()
    assert "procedure file" in record.getMessage()
    caplog.clear()
    with caplog.at_level(logging.WARNING, "services.infra.workcalendar"):
        assert report(CAL, date(2025, 12, 1)) == []
    assert caplog.records == []


def test_the_gauge_shows_2027_unknown():
    (family,) = calendar_gauges(CAL, date(2026, 12, 1))
    assert family.name == "povwatch_calendar_year_known"
    assert {s.labels["year"]: s.value for s in family.samples} == {"2026": 1.0, "2027": 0.0}
    cal = work_calendar(parse_procedure(WITH_2027, "procedure.yaml"))
    (family,) = calendar_gauges(cal, date(2026, 12, 1))
    assert {s.labels["year"]: s.value for s in family.samples} == {"2026": 1.0, "2027": 1.0}


def test_a_day_both_off_and_on_is_refused():
    with pytest.raises(ValidationError, match="both off and on"):
        CalendarDays(years=[2027], days_off=[date(2027, 10, 9)], days_on=[date(2027, 10, 9)])
