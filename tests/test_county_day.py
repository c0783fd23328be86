"""The county's day, whatever the server's zone: at 06:47 on Monday
2026-12-07 in Xiangyin (22:47 UTC on the Sunday) a lead starts its stage on
the Monday, and a village worker may record that Monday's home visit. Tested
with a controlled clock that speaks UTC, as a server's does, before 08:00
China time, across a month's end and a year's end, on a store of each kind."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain import countyday
from domain.feeds import month_of
from services.infra.settings import Settings
from tests.helpers import clients
from tests.test_alerts import clock, world  # noqa: F401 (fixtures)
from tests.test_cases import T, V, ok, one_case, verification

MONDAY_0647 = datetime(2026, 12, 6, 22, 47, tzinfo=UTC)  # 06:47 on Monday in China


def test_an_instant_has_the_county_date_not_the_servers():
    assert countyday.day(MONDAY_0647) == date(2026, 12, 7)
    assert countyday.day(datetime(2026, 12, 6, 23, 59, tzinfo=UTC)) == date(2026, 12, 7)
    assert countyday.day(datetime(2026, 12, 6, 16, 30, tzinfo=UTC)) == date(2026, 12, 7)  # 00:30
    assert countyday.day(datetime(2026, 12, 6, 15, 59, tzinfo=UTC)) == date(2026, 12, 6)
    # A naive time is the county's wall time already (as a sheet writes it).
    assert countyday.day(datetime(2026, 12, 7, 0, 30)) == date(2026, 12, 7)
    assert countyday.end_of(date(2026, 12, 7)) == datetime(2026, 12, 7, 16, 0, tzinfo=UTC)
    assert countyday.start_of(date(2026, 12, 7)) == datetime(2026, 12, 6, 16, 0, tzinfo=UTC)


def test_a_feeds_month_turns_at_the_countys_midnight():
    assert month_of(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == "2027-01"  # 07:59 China
    assert month_of(datetime(2026, 11, 30, 16, 30, tzinfo=UTC)) == "2026-12"  # 00:30 China


def test_on_new_years_morning_the_monthly_report_is_decembers(world, clock):  # noqa: F811
    service, _ = world
    clock.now = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)  # 07:59 on 2027-01-01
    assert service.run_job("monthly_report") == 2
    job = service.parts.report_job
    december, january = job.report("2026-12"), job.report("2027-01")
    assert december is not None and december.final and december.as_of == date(2026, 12, 31)
    assert january is not None and january.as_of == date(2027, 1, 1) and not january.final
    assert job.report("2026-11") is None


def test_the_zone_is_one_setting_and_an_unknown_one_is_refused():
    assert Settings().county_zone == "Asia/Shanghai"
    with pytest.raises(ValueError, match="Mars/Olympus"):
        Settings(county_zone="Mars/Olympus")
    try:
        countyday.use("Asia/Urumqi")
        assert countyday.day(datetime(2026, 12, 6, 18, 30, tzinfo=UTC)) == date(2026, 12, 7)
    finally:
        countyday.use(countyday.DEFAULT)
    assert countyday.now().utcoffset() == timedelta(hours=8)


@pytest.fixture
def people(world):  # noqa: F811
    service, _ = world
    return clients(service.web_app(), service.accounts, li=("village", f"{T}/{V}"))


def _lead_at(world, clock, at: datetime, hid: str = "H"):  # noqa: F811
    """A yellow household whose income of the last year is below the line,
    reported at ``at``: a department's lead that opens a case."""
    service, w = world
    clock.now = at
    on = countyday.day(at)
    w.send(
        w.b.register(hid, on - timedelta(days=400), "yellow", members=1, labour=1),
        w.b.income(hid, on, "7000.00", on - timedelta(days=365), on - timedelta(days=1)),
    )
    return one_case(service)


def test_before_eight_in_the_morning_the_stage_starts_on_the_countys_day(
    world,  # noqa: F811
    clock,  # noqa: F811
    people,
):
    case = _lead_at(world, clock, MONDAY_0647)
    assert case.stage == "verify" and case.stage_started == date(2026, 12, 7)
    assert case.stage_due == date(2026, 12, 9)  # 2 working days after the Monday
    # 20 working days after the Monday (2027 counted Monday to Friday: no schedule yet).
    assert case.decision_due == date(2027, 1, 4)
    # The village worker records that Monday's visit at 07:30 China time.
    clock.now = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    li = people["li"]
    done = ok(li.post(f"/cases/{case.case_id}/verification", json=verification(date(2026, 12, 7))))
    assert done["stage"] == "crosscheck"
    # The next day is still refused: it has not begun in the county.
    refused = li.post(f"/cases/{case.case_id}/verification", json=verification(date(2026, 12, 8)))
    assert refused.status_code in (409, 422)


def test_a_visit_dated_tomorrow_is_refused_at_seven_fifty_nine(world, clock, people):  # noqa: F811
    case = _lead_at(world, clock, datetime(2026, 12, 6, 23, 59, tzinfo=UTC))
    tomorrow = verification(date(2026, 12, 8))
    refused = people["li"].post(f"/cases/{case.case_id}/verification", json=tomorrow)
    assert refused.status_code == 422 and "visited_on" in refused.text


def test_a_lead_on_new_years_morning_counts_from_new_years_day(world, clock):  # noqa: F811
    # 00:30 on 2026-01-01 in China is still 2025-12-31 in UTC.
    case = _lead_at(world, clock, datetime(2025, 12, 31, 16, 30, tzinfo=UTC))
    assert case.stage_started == date(2026, 1, 1) and case.opened_at.year == 2025
    # 1-3 January are the holiday, Sunday the 4th is a make-up working day.
    assert case.stage_due == date(2026, 1, 5) and not case.due_assumed
    # 20 working days from New Year's Day, the make-up Sunday the first of them.
    assert case.decision_due == date(2026, 1, 29)
