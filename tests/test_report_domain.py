"""The monthly report's tallies without a store: monitoring periods at a
month's end, new and cleared in the month, the 12-month trend, help
measures by their state at the month's end, leads, stages and the loan
ratio against the plan's 1% (plan §3(2)8)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.report import (
    LOAN_OVERDUE_LIMIT,
    LeadTally,
    Measure,
    MeasureTally,
    MonitoringTally,
    Period,
    month_days,
    month_index,
    months_up_to,
    overdue_ratio,
    stage_rows,
    within_limit,
)
from domain.task_input import TaskInputError


def test_months_and_their_days():
    assert month_days("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert month_days("2028-02")[1] == date(2028, 2, 29)
    assert months_up_to("2026-03", 4) == ["2025-12", "2026-01", "2026-02", "2026-03"]
    assert len(months_up_to("2026-11")) == 12
    assert month_index("2026-01") == month_index("2025-12") + 1
    for bad in ("2026-13", "2026-1", "26-11", "2026-11-01", ""):
        with pytest.raises(TaskInputError) as e:
            month_days(bad)
        assert e.value.field == "month"


def test_a_month_with_no_monitoring_objects():
    tally = MonitoringTally("2026-11")
    tally.add("Jinlong", [])
    assert not tally.objects and not tally.new and not tally.cleared
    assert tally.trend == {}  # no line for a township that never had an object
    assert tally.months[0] == "2025-12" and tally.months[-1] == "2026-11"


def test_a_household_cleared_and_identified_again():
    first = Period("unstable", date(2026, 3, 10), date(2026, 9, 20))
    second = Period("sudden", date(2026, 11, 5), None)
    t = MonitoringTally("2026-11")
    t.add("Jinlong", [first, second])
    assert t.objects == {("Jinlong", "sudden"): 1}  # monitored again at the month's end
    assert t.new == {("Jinlong", "sudden"): 1}
    assert not t.cleared  # its clearance was in September
    # Monitored at the ends of March to August, not at September's (cleared
    # on the 20th) nor October's, and again at November's.
    row = dict(zip(t.months, t.trend["Jinlong"], strict=True))
    assert [row[m] for m in ("2026-02", "2026-03", "2026-08", "2026-09", "2026-10", "2026-11")] == [
        0, 1, 1, 0, 0, 1,
    ]  # fmt: skip
    september = MonitoringTally("2026-09")
    september.add("Jinlong", [first, second])
    assert september.cleared == {("Jinlong", "unstable"): 1} and not september.objects


def test_cleared_and_identified_again_within_one_month():
    periods = [Period("marginal", date(2026, 1, 2), date(2026, 11, 3)),
               Period("marginal", date(2026, 11, 25), None)]  # fmt: skip
    t = MonitoringTally("2026-11")
    t.add(None, periods)
    assert t.objects[(None, "marginal")] == 1
    assert t.new[(None, "marginal")] == 1 and t.cleared[(None, "marginal")] == 1
    assert t.trend[None][-1] == 1


def test_the_day_of_clearance_ends_the_period():
    p = Period("unstable", date(2026, 5, 1), date(2026, 5, 31))
    assert p.covers(date(2026, 5, 30)) and not p.covers(date(2026, 5, 31))
    assert not p.covers(date(2026, 4, 30))


def test_measures_by_their_state_at_the_months_end():
    done_in_december = Measure(
        "medical_aid", "县医保局", date(2026, 10, 3),
        [(date(2026, 11, 2), "in_progress"), (date(2026, 12, 1), "done")],
    )  # fmt: skip
    added_later = Measure("workshop", "乡镇人社站", date(2026, 12, 2), [])
    added_now = Measure("medical_aid", "县医保局", date(2026, 11, 20), [])
    t = MeasureTally("2026-11")
    t.add([done_in_december, added_later, added_now])
    assert t.planned == {("medical_aid", "县医保局"): 2}
    assert t.added == {("medical_aid", "县医保局"): 1}
    assert t.states == {
        ("medical_aid", "县医保局", "in_progress"): 1, ("medical_aid", "县医保局", "planned"): 1,
    }  # fmt: skip


def test_leads_of_the_month_by_channel():
    t = LeadTally("2026-11")
    t.add("Jinlong", "department", date(2026, 11, 1))
    t.add("Jinlong", "household", date(2026, 11, 30))
    t.add("Jinlong", "department", date(2026, 10, 31))
    assert t.channels == {("Jinlong", "department"): 1, ("Jinlong", "household"): 1}


def test_stages_on_time_and_overdue_in_the_procedures_order():
    rows = stage_rows({"notice": 3, "verify": 5}, {"verify": 2}, ("verify", "notice"))
    assert [(r.stage, r.open, r.on_time, r.overdue) for r in rows] == [
        ("verify", 5, 3, 2), ("notice", 3, 3, 0),
    ]  # fmt: skip
    assert [r.open for r in stage_rows({}, {}, ("verify",))] == [0]


def test_the_loan_ratio_against_the_plans_one_percent():
    assert LOAN_OVERDUE_LIMIT == Decimal("0.01")
    assert overdue_ratio(0, 0) is None and within_limit(None)
    assert overdue_ratio(200, 1) == Decimal("0.0050") and within_limit(Decimal("0.005"))
    assert overdue_ratio(100, 1) == Decimal("0.0100")
    assert not within_limit(Decimal("0.0100"))  # "strictly below 1%"
    assert overdue_ratio(3, 1) == Decimal("0.3333")
