"""The household aggregate, its facts and the risk function: pure, no
infrastructure (the store below is the library's in-memory one)."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import facts as folding
from domain.facts import Facts, Income, apply, fold
from domain.household import EVENTS, FACT_TYPES, Conflict, FactRef, Household
from domain.incomes import window_incomes
from domain.policy import PolicyBook, PolicyError
from domain.risk import assess
from services.households.app import Fact, Households, kafka_position
from services.households.heads import revive, snapshot_of
from services.households.ids import make_id
from tests.helpers import county_facts

TZ = timezone(timedelta(hours=8))
ON = date(2020, 12, 31)
YEAR = {"period_start": date(2020, 1, 1), "period_end": date(2020, 12, 30)}
POLICY = PolicyBook.from_toml(
    """
[[policy]]
effective_from = 2020-01-01
poverty_line_yuan = "4000"
watch_band_upper_yuan = "5000"
[[policy]]
effective_from = 2021-01-01
poverty_line_yuan = "6000"
watch_band_upper_yuan = "7500"
"""
)
_n = 0


def ref(days_ago: int = 1, event_id: str | None = None, digest: str | None = None) -> FactRef:
    global _n
    _n += 1
    eid = event_id or f"e{_n}"
    when = datetime.combine(ON - timedelta(days=days_ago), datetime.min.time(), TZ)
    return FactRef("dept", eid, when, digest or eid)


# The commands the risk tests tell a household, by the message type they carry.
_KINDS = {
    "register": "household.registered",
    "change_card": "household.card_changed",
    "report_income": "income.reported",
    "report_illness": "illness.reported",
    "report_disaster": "disaster.reported",
    "change_employment": "employment.changed",
    "issue_loan": "loan.issued",
    "repay_loan": "loan.repaid",
    "mark_loan_overdue": "loan.overdue",
    "report_schooling": "schooling.reported",
    "change_insurance": "insurance.changed",
    "rate_house": "housing.rated",
    "check_water": "water.checked",
    "change_assistance": "assistance.changed",
    "change_members": "household.members_changed",
    "change_disability": "disability.changed",
}
_BASE = {"originator_id", "originator_version", "timestamp", "ref"}


class Told:
    """A household told facts through its one command (``Household.receive``),
    its facts folded from the events the command made."""

    def __init__(self, code: str) -> None:
        self.aggregate = Household.open(code)
        self.events = list(self.aggregate.collect_events())

    def receive(self, kind: str, r: FactRef, data: dict[str, Any]) -> bool:
        try:
            return self.aggregate.receive(kind, r, data)
        finally:
            self.events.extend(self.aggregate.collect_events())

    @property
    def facts(self) -> Facts:
        return fold(self.events).facts

    def __getattr__(self, name: str) -> Any:
        kind = _KINDS[name]
        names = [f.name for f in fields(EVENTS[kind]) if f.name not in _BASE]
        return lambda r, *args, **kw: self.receive(kind, r, {**dict(zip(names, args)), **kw})


def household(card="yellow", members=2, labour=1, flags=()) -> Told:
    h = Told("H1")
    h.register(ref(300), "T", "V", members, labour, card, list(flags))
    return h


def codes(h: Told, on: date = ON) -> list[str]:
    return [f.code for f in assess(h.facts, POLICY.in_force(on), on).factors]


def level(h: Told, on: date = ON) -> str:
    return assess(h.facts, POLICY.in_force(on), on).level


def test_a_fact_is_recorded_once_and_a_changed_one_is_a_conflict():
    h = Told("H1")
    r = ref(event_id="x", digest="d1")
    assert h.receive("income.reported", r, {"amount_yuan": Decimal(1), "kind": "wage", **YEAR})
    assert not h.receive("income.reported", r, {"amount_yuan": Decimal(1), "kind": "wage", **YEAR})
    with pytest.raises(Conflict):
        h.receive("income.reported", ref(event_id="x", digest="d2"), {})
    assert len(h.facts.incomes) == 1 and not h.facts.registered


def test_income_factors_follow_the_line_and_the_band():
    h = household(members=2)
    h.report_income(ref(), Decimal("7000"), kind="wage", **YEAR)  # 3,500 a head
    # Below the allowance's 4,000 too, and no allowance: civil affairs' check.
    assert codes(h) == ["income_below_line", "assistance_missing"] and level(h) == "high"
    h.report_income(ref(), Decimal("2000"), kind="transfer", **YEAR)  # 4,500 a head
    assert codes(h) == ["income_in_band"] and level(h) == "watch"
    h.report_income(ref(), Decimal("2000"), kind="business", **YEAR)  # 5,500 a head
    assert codes(h) == [] and level(h) == "none"


def test_income_is_prorated_into_the_twelve_month_window():
    h = household(members=1)
    # Two years of income in one report: only half falls in the window.
    h.report_income(ref(), Decimal("10000"), date(2019, 1, 1), date(2020, 12, 30), "wage")
    status = assess(h.facts, POLICY.in_force(ON), ON)
    assert Decimal("4900") < status.per_capita_income_yuan < Decimal("5100")


def _report(start_day: int, days: int, cents: int) -> Income:
    first = date(2019, 1, 1) + timedelta(days=start_day)
    return Income(Decimal(cents) / 100, first, first + timedelta(days=days - 1), "wage")


@given(
    reports=st.lists(
        st.builds(_report, st.integers(0, 1100), st.integers(1, 800), st.integers(0, 10**8)),
        max_size=12,
    ),
    windows=st.lists(st.tuples(st.integers(0, 1100), st.integers(1, 800)), min_size=1, max_size=3),
)
def test_window_income_is_each_days_share_of_each_report(reports, windows):
    # The plain definition, one window at a time: every day of a report
    # carries an equal share of its amount; a window sums the days it holds.
    bounds = tuple(
        (date(2019, 1, 1) + timedelta(days=a), date(2019, 1, 1) + timedelta(days=a + n))
        for a, n in windows
    )
    for (start, end), got in zip(bounds, window_incomes(reports, bounds)):
        touching = [r for r in reports if r.period_start < end and r.period_end >= start]
        if not touching:
            assert got is None
            continue
        want = sum(
            (
                r.amount_yuan
                * Decimal(
                    (min(r.period_end, end - timedelta(days=1)) - max(r.period_start, start)).days
                    + 1
                )
                / Decimal((r.period_end - r.period_start).days + 1)
                for r in touching
            ),
            Decimal(0),
        )
        assert got == want


def test_policy_in_force_on_the_evaluation_date_is_used():
    h = household(members=1)
    h.report_income(ref(), Decimal("5500"), kind="wage", **YEAR)
    assert codes(h, ON) == []
    # Same year's income seen in 2021: the 6,000 line now applies.
    assert codes(h, date(2021, 1, 2)) == ["income_below_line"]
    with pytest.raises(PolicyError):
        POLICY.in_force(date(2019, 1, 1))


def test_income_drop_compares_with_the_previous_twelve_months():
    h = household(members=1)
    h.report_income(ref(400), Decimal("9000"), date(2019, 1, 1), date(2019, 12, 31), "wage")
    h.report_income(ref(), Decimal("6000"), kind="wage", **YEAR)
    assert codes(h) == ["income_drop"]


def test_medical_cost_threshold_depends_on_registration_and_income():
    green = household(card="green", members=2)
    green.report_income(ref(), Decimal("30000"), kind="wage", **YEAR)
    green.report_illness(ref(), "p1", "major", Decimal("10000"), Decimal("5500"), True)
    # 4,500 self-paid: under 5,000; but 55% reimbursed, under the plan's 85%.
    assert codes(green) == ["reimbursement_low"]
    green.report_illness(ref(), "p1", "minor", Decimal("600"), Decimal("0"), True)
    assert codes(green) == ["medical_cost_high", "reimbursement_low"]

    blue = household(card="blue", members=2)
    blue.report_income(ref(), Decimal("9000"), kind="wage", **YEAR)
    blue.report_illness(ref(), "p1", "major", Decimal("15000"), Decimal("4000"), True)
    status = assess(blue.facts, POLICY.in_force(ON), ON)
    # 11,000 self-paid: under the 20,000 for others but over the year's income.
    assert [f.code for f in status.factors] == ["income_in_band", "medical_cost_high"]
    assert status.level == "critical"


def test_old_illness_drops_out_of_the_window():
    h = household(card="green")
    h.report_illness(ref(400), "p1", "major", Decimal("30000"), Decimal("0"), True)
    assert codes(h) == []


def test_disaster_loss_and_dangerous_house():
    h = household(members=1)
    h.report_income(ref(), Decimal("6000"), kind="wage", **YEAR)
    h.report_disaster(ref(), "flood", Decimal("2000"), "none")
    assert codes(h) == []  # under half a year's income
    h.report_disaster(ref(), "storm", Decimal("1500"), "none")
    assert codes(h) == ["disaster_loss"]
    h2 = household(members=1)
    h2.report_income(ref(), Decimal("60000"), kind="wage", **YEAR)
    h2.report_disaster(ref(), "geological", Decimal("0"), "D")
    assert codes(h2) == ["disaster_loss"] and level(h2) == "critical"


def test_unemployment_raises_and_a_new_job_clears():
    h = household(members=3, labour=2)
    h.report_income(ref(), Decimal("30000"), kind="wage", **YEAR)
    h.change_employment(ref(10), "a", "unemployed")
    assert codes(h) == []  # one of two still unknown
    h.change_employment(ref(9), "b", "unemployed")
    assert codes(h) == ["all_unemployed"]
    h.change_employment(ref(2), "b", "employed", "workshop")
    assert codes(h) == []
    # An older report arriving late does not undo the newer one.
    h.change_employment(ref(20), "b", "unemployed")
    assert codes(h) == []


def test_relocated_household_needs_someone_employed():
    h = household(members=3, labour=1, flags=["relocated"])
    h.report_income(ref(), Decimal("30000"), kind="wage", **YEAR)
    assert codes(h) == ["relocated_no_employment"]
    h.change_employment(ref(), "a", "employed", "local")
    assert codes(h) == []


def test_loans_overdue_by_report_or_by_date_and_cleared_by_repayment():
    h = household()
    h.report_income(ref(), Decimal("30000"), kind="wage", **YEAR)
    h.issue_loan(ref(300), "L1", Decimal("10000"), ON + timedelta(days=30))
    assert codes(h) == []
    h.mark_loan_overdue(ref(), "L1", 5, Decimal("10000"))
    assert codes(h) == ["loan_overdue"] and level(h) == "watch"
    # Past the due date with nothing repaid: overdue even if the bank is silent.
    later = ON + timedelta(days=130)
    status = assess(h.facts, POLICY.in_force(later), later)
    assert status.factors[-1].figures["days_overdue"] == "100"
    assert status.factors[-1].severity == "high"
    h.repay_loan(ref(), "L1", Decimal("10000"))
    assert "loan_overdue" not in codes(h)


def test_unregistered_household_is_kept_and_completed_by_registration():
    h = Told("H9")
    h.report_illness(ref(), "p1", "major", Decimal("50000"), Decimal("20000"), True)
    status = assess(h.facts, POLICY.in_force(ON), ON)
    assert not status.registered and [f.code for f in status.factors] == ["medical_cost_high"]
    h.register(ref(), "T", "V", 2, 1, "blue", [])
    assert assess(h.facts, POLICY.in_force(ON), ON).registered


def test_a_bad_policy_file_is_refused_with_the_entry():
    with pytest.raises(PolicyError, match="#1"):
        PolicyBook.from_toml(
            '[[policy]]\neffective_from = 2020-01-01\npoverty_line_yuan = "x"\nwatch_band_upper_yuan = "1"'
        )
    with pytest.raises(PolicyError, match="line 1"):
        PolicyBook.from_toml("[[policy]\n")


def test_stale_income_and_the_half_year_figure():
    h = household(members=2)
    h.report_income(ref(), Decimal("6000"), date(2020, 7, 1), date(2020, 12, 30), "wage")
    status = assess(h.facts, POLICY.in_force(ON), ON)
    assert not status.income_stale and status.half_year_per_capita_income_yuan == Decimal("6000.00")
    later = date(2022, 1, 15)
    assert assess(h.facts, POLICY.in_force(later), later).income_stale


def test_ingestion_appends_the_aggregates_own_events_and_folding_them_gives_its_facts():
    # The one write path: what the application stores for a county's facts
    # is what the aggregate's command makes, and folding it gives the facts.
    app = Households(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    told: dict[str, Told] = {}
    kinds = set()
    for offset, (code, kind, r, data) in enumerate(county_facts()):
        kinds.add(kind)
        h = told.get(code) or told.setdefault(code, Told(code))
        assert h.receive(kind, r, data)
        staged = app.stage([Fact(kind, code, r, data)])
        assert [o.status for o in staged.outcomes] == ["stored"]
        assert app.commit(staged, kafka_position("t", 0, offset))
        # Re-deliveries and conflicts are told apart the same way.
        assert not h.receive(kind, r, data)
        assert [o.status for o in app.stage([Fact(kind, code, r, data)]).outcomes] == ["duplicate"]
        other = FactRef(r.source, r.event_id, r.occurred_at, "other")
        with pytest.raises(Conflict):
            h.receive(kind, other, data)
        assert [o.status for o in app.stage([Fact(kind, code, other, data)]).outcomes] == [
            "conflict"
        ]
    assert kinds == set(FACT_TYPES)
    for code, h in told.items():
        stored = app.history(code)
        assert [type(e) for e in stored] == [type(e) for e in h.events]
        for a, b in zip(stored, h.events):
            assert {**a.__dict__, "timestamp": None} == {**b.__dict__, "timestamp": None}
        assert app.household(code).facts == fold(stored).facts == h.facts
        assert app.get_or_open(code).receipts == h.aggregate.receipts
        assert app.household(code).version == h.aggregate.version == len(stored)
    app.close()


def test_every_fact_event_has_its_fold():
    assert set(folding._APPLY) == set(EVENTS.values())


def test_a_revived_household_is_the_one_the_librarys_snapshot_makes():
    h = household()
    args = (h.aggregate.id, "H1", h.aggregate.version, dict(h.aggregate.receipts))
    head, from_snapshot = revive(*args), snapshot_of(*args).mutate(None)
    assert type(head) is type(from_snapshot) is Household
    assert vars(head) == vars(from_snapshot)
    assert (head.id, head.version, head.pending_events) == (h.aggregate.id, 2, [])


def test_a_household_revived_from_its_receipts_continues_its_stream():
    h = household()
    head = revive(h.aggregate.id, "H1", h.aggregate.version, dict(h.aggregate.receipts))
    assert head.receive(
        "income.reported", ref(), {"amount_yuan": Decimal(1), "kind": "wage", **YEAR}
    )
    (e,) = head.collect_events()
    sheet = apply(fold(h.events), e)
    assert sheet.version == 3 and len(sheet.facts.incomes) == 1


@given(st.text(min_size=1, max_size=40))
def test_a_household_id_is_the_uuid5_of_its_code(code):
    # Stored streams are keyed by these ids: a change would orphan them.
    expected = uuid5(NAMESPACE_URL, f"/povwatch/households/{code}")
    assert Household.create_id(code) == expected
    made = make_id(code)  # the adapters' fast one
    assert made == expected and hash(made) == hash(expected) and str(made) == str(expected)
    assert (
        made.version == 5 and made.variant == expected.variant and made.is_safe is expected.is_safe
    )
    assert made == UUID(str(made))
