"""As of a date, without a store: the fold with a cut-off and the risk then."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from domain.asof import AsOfError, as_of, check_date, end_of_day
from domain.household import EVENTS, FactRef, Household
from domain.policy import PolicyBook
from schemas.events import parse_event
from services.infra.policyfile import DEFAULT_POLICY
from synthetic.sample import Builder

POLICIES = PolicyBook.from_toml(DEFAULT_POLICY.read_text(encoding="utf-8"))
B = Builder("asof")
REGISTERED = B.register("H1", date(2026, 1, 5), "green")
INCOME = B.income("H1", date(2026, 1, 20), "60000", date(2025, 1, 1), date(2025, 12, 31))
ILLNESS = B.illness("H1", date(2026, 5, 10), "60000", "10000")  # self-paid 50,000


def stream(*arrivals: tuple[dict, datetime]) -> list:
    """A household's events as the store holds them: each message recorded
    at its arrival time (a controlled clock), in the order they arrived."""
    h = None
    for message, recorded in arrivals:
        ev = parse_event(json.dumps(message))
        ref = FactRef(ev.source, ev.event_id, ev.occurred_at, ev.digest())
        if h is None:
            h = Household._create(
                Household.Opened, id=Household.create_id("H1"), code="H1", timestamp=recorded
            )
        h.trigger_event(
            EVENTS[ev.type],
            ref=ref,
            timestamp=recorded,
            **ev.data.model_dump(),
        )
    return list(h.collect_events())


def at(y: int, m: int, d: int, hour: int = 10) -> datetime:
    return datetime(y, m, d, hour, tzinfo=UTC)


LATE = stream(
    (REGISTERED, at(2026, 1, 6)),
    (INCOME, at(2026, 1, 21)),
    (ILLNESS, at(2026, 7, 1)),  # the hospital's report came seven weeks late
)


def test_a_late_fact_changes_known_now_not_known_then():
    seen = as_of("H1", LATE, date(2026, 5, 31), POLICIES)
    assert seen.risk_then.level == "none" and seen.risk_then.factors == ()
    assert seen.risk_now.level == "critical"  # self-paid over a year's income
    # Reimbursed a sixth, under the plan's 85%: the medical guarantee fails too.
    assert [f.code for f in seen.risk_now.factors] == ["medical_cost_high", "reimbursement_low"]
    assert seen.then.facts.illnesses == [] and len(seen.now.facts.illnesses) == 1
    (late,) = seen.late
    assert late.entry.kind == "IllnessReported" and late.recorded_at == at(2026, 7, 1)
    assert [line.late for line in seen.lines] == [False, False, True]
    assert seen.changed and seen.policy_from == date(2023, 1, 1)


def test_once_the_fact_has_arrived_then_and_now_agree():
    seen = as_of("H1", LATE, date(2026, 7, 1), POLICIES)
    assert seen.risk_then.level == seen.risk_now.level == "critical"
    assert seen.late == () and not seen.changed


def test_a_fact_that_happens_after_the_day_is_in_neither():
    seen = as_of("H1", LATE, date(2026, 3, 1), POLICIES)
    assert seen.risk_then.level == seen.risk_now.level == "none"
    assert [line.entry.kind for line in seen.lines] == ["Registered", "IncomeReported"]


def test_the_day_ends_at_midnight_china_time():
    # Recorded at 23:30 in China (15:30 UTC): known that day; at 00:30 the next morning: late.
    evening = stream((REGISTERED, datetime(2026, 1, 5, 15, 30, tzinfo=UTC)))
    morning = stream((REGISTERED, datetime(2026, 1, 5, 16, 30, tzinfo=UTC)))
    assert as_of("H1", evening, date(2026, 1, 5), POLICIES).then is not None
    later = as_of("H1", morning, date(2026, 1, 5), POLICIES)
    assert later.then is None and later.now is not None and later.late
    assert end_of_day(date(2026, 1, 5)) == datetime(2026, 1, 5, 16, 0, tzinfo=UTC)


def test_a_date_before_any_fact_knows_nothing():
    seen = as_of("H1", LATE, date(2025, 12, 1), POLICIES)
    assert seen.then is None and seen.now is None
    assert seen.risk_then is None and seen.risk_now is None and seen.lines == ()


LATER_POLICY = """
[[policy]]
effective_from = 2026-06-01
poverty_line_yuan = "7500"
watch_band_upper_yuan = "9375"
"""


def test_a_date_before_every_policy_or_in_the_future_is_refused_with_its_field():
    with pytest.raises(AsOfError) as e:
        as_of("H1", LATE, date(2026, 5, 31), PolicyBook.from_toml(LATER_POLICY))
    assert e.value.field == "as_of"
    with pytest.raises(AsOfError) as e:
        check_date(date(2026, 6, 2), today=date(2026, 6, 1))
    assert e.value.field == "as_of" and "after today" in str(e.value)
