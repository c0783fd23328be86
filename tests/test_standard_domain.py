"""The standard's guarantees as risk factors, the members counted for the
days they were members and civil affairs' grants as transfer income: pure,
without a store (tests/test_standard.py runs them through both stores)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.policy import PolicyBook, PolicyError
from domain.risk import assess
from domain.standard import average_members, failing, house_fix_by
from services.infra.policyfile import load_policies
from services.infra.settings import Settings
from tests.test_domain import ON, POLICY, YEAR, codes, household, level, ref


def status(h, on: date = ON, book: PolicyBook = POLICY):
    return assess(h.facts, book.in_force(on), on)


def factor(h, code: str, on: date = ON):
    found = [f for f in status(h, on).factors if f.code == code]
    return found[0] if found else None


def test_a_dropout_is_a_factor_until_the_child_is_back_at_school():
    h = household("yellow")
    h.report_schooling(ref(20), "c1", "dropped_out", "junior_secondary", "poverty")
    assert codes(h) == ["school_dropout"] and level(h) == "high"
    assert factor(h, "school_dropout").figures == {
        "dropped_out": "1",
        "for_poverty": "1",
        "reason_unknown": "0",
    }
    h.report_schooling(ref(5), "c1", "enrolled", "junior_secondary")
    assert codes(h) == []
    # An older report arriving late does not undo the newer one.
    h.report_schooling(ref(30), "c1", "dropped_out", "junior_secondary", "work")
    assert codes(h) == []
    h.report_schooling(ref(2), "c2", "completed", "junior_secondary")
    assert codes(h) == []
    # A reason that is a health detail stays in the facts, out of the factor.
    h.report_schooling(ref(1), "c3", "dropped_out", "primary", "illness")
    f = factor(h, "school_dropout")
    assert f.figures == {"dropped_out": "1", "for_poverty": "0", "reason_unknown": "0"}
    assert "illness" not in f.reason
    # Not for poverty: visible at watch, the guarantee not failed (plan §3(2)1).
    assert f.severity == "watch" and status(h).guarantees == ()


def test_guarantees_are_watched_for_registered_and_marginal_households_only():
    for card in ("red", "yellow", "green", "blue"):
        h = household(card)
        h.check_water(ref(3), "dispersed", False, ["quantity"])
        assert codes(h) == ["water_unsafe"], card
    # A stream the registry does not know has no card: no guarantee of its own.
    from tests.test_domain import Told

    u = Told("U1")
    u.check_water(ref(3), "dispersed", False, ["quantity"])
    assert codes(u) == []


def test_a_lapsed_insurance_counts_until_a_later_year_or_report_enrols():
    h = household("blue")
    h.change_insurance(ref(40), "p1", "lapsed", 2020)
    assert codes(h) == ["insurance_lapsed"]
    assert factor(h, "insurance_lapsed").figures == {"lapsed": "1", "year": "2020"}
    h.change_insurance(ref(10), "p1", "enrolled", 2020)
    assert codes(h) == []
    # A lapse of an earlier year, told later, does not override this year's cover.
    h.change_insurance(ref(5), "p1", "lapsed", 2019)
    assert codes(h) == []
    h.change_insurance(ref(4), "p2", "lapsed", 2021)
    assert codes(h) == ["insurance_lapsed"]


def test_a_c_or_d_house_is_a_factor_with_its_deadline_and_d_is_critical():
    h = household("yellow")
    h.rate_house(ref(60), "B", date(2020, 10, 1))
    assert codes(h) == []
    h.rate_house(ref(50), "C", date(2020, 11, 1))
    f = factor(h, "housing_unsafe")
    assert f.severity == "high" and f.figures["fix_by"] == "2021-06-30"
    h.rate_house(ref(40), "D", date(2020, 11, 20))
    assert factor(h, "housing_unsafe").severity == "critical" and level(h) == "critical"
    # An older rating arriving late does not override a newer one.
    h.rate_house(ref(1), "A", date(2020, 1, 1))
    assert factor(h, "housing_unsafe").figures["rating"] == "D"
    h.rate_house(ref(1), "A", date(2020, 12, 28))
    assert codes(h) == []


def test_the_fix_by_day_is_the_next_end_of_june_and_then_the_house_is_overdue():
    p = POLICY.in_force(ON)
    assert house_fix_by(date(2020, 3, 1), p) == date(2020, 6, 30)
    assert house_fix_by(date(2020, 6, 30), p) == date(2020, 6, 30)
    assert house_fix_by(date(2020, 7, 1), p) == date(2021, 6, 30)
    h = household("blue")
    h.rate_house(ref(300), "C", date(2020, 3, 1))
    assert not status(h, date(2020, 6, 30)).house_fix_overdue
    assert status(h, date(2020, 7, 1)).house_fix_overdue
    assert status(h, date(2020, 7, 1)).guarantees == ("housing",)


def test_water_failing_the_standard_until_a_check_meets_it():
    h = household("green")
    h.check_water(ref(20), "central", False, ["quality", "access"])
    assert factor(h, "water_unsafe").figures["failing"] == "quality,access"
    h.check_water(ref(2), "central", True, [])
    assert codes(h) == []


@pytest.mark.parametrize(
    ("in_county", "referred", "reimbursed", "fires"),
    [
        (True, None, "8500.00", False),  # exactly 85% in the county
        (True, None, "8499.99", True),
        (False, True, "8000.00", False),  # exactly 80% after referral
        (False, True, "7999.99", True),
        # The department does not say: taken as referred.
        (False, None, "8000.00", False),
        (False, None, "7999.99", True),
        # Not referred: the plan guarantees no share of such a stay.
        (False, False, "7000.00", False),
    ],
)
def test_a_stay_reimbursed_below_the_plans_share_is_a_factor(
    in_county, referred, reimbursed, fires
):
    h = household("yellow", members=1)
    h.report_income(ref(), Decimal("60000"), kind="wage", **YEAR)  # no income factor
    h.report_illness(
        ref(30), "p1", "major", Decimal("10000"), Decimal(reimbursed), in_county, referred=referred
    )
    assert codes(h) == (["reimbursement_low"] if fires else [])


def test_an_unreferred_stay_still_counts_its_self_paid_cost():
    # Outside the 80% check, the 8,000 yuan the household paid weighs as any
    # cost does: over the registered households' 5,000.
    h = household("yellow", members=1)
    h.report_income(ref(), Decimal("60000"), kind="wage", **YEAR)
    h.report_illness(
        ref(30), "p1", "major", Decimal("10000"), Decimal("2000"), False, referred=False
    )
    assert h.facts.illnesses[0].referred is False
    assert codes(h) == ["medical_cost_high"]
    assert factor(h, "medical_cost_high").figures["self_paid_yuan"] == "8000.00"


def test_a_share_rounded_to_the_fen_is_not_short():
    # 85% of 1,234.57 is 1,049.3845: a settlement of 1,049.38 is the share to the fen.
    h = household("yellow", members=1)
    h.report_income(ref(), Decimal("60000"), kind="wage", **YEAR)
    h.report_illness(ref(30), "p1", "major", Decimal("1234.57"), Decimal("1049.38"), True)
    assert codes(h) == []
    h.report_illness(ref(20), "p1", "major", Decimal("1234.57"), Decimal("1049.37"), True)
    assert codes(h) == ["reimbursement_low"]


def test_the_reimbursement_check_is_for_registered_households_within_the_window():
    blue = household("blue", members=1)
    blue.report_illness(ref(30), "p1", "major", Decimal("10000"), Decimal("5000"), True)
    assert "reimbursement_low" not in codes(blue)
    old = household("green", members=1)
    old.report_illness(ref(400), "p1", "major", Decimal("10000"), Decimal("5000"), True)
    assert "reimbursement_low" not in codes(old)
    free = household("green", members=1)
    free.report_illness(ref(30), "p1", "minor", Decimal("0"), Decimal("0"), True)
    assert "reimbursement_low" not in codes(free)


def test_a_member_leaving_mid_year_counts_for_the_months_they_were_a_member():
    # Four members for half the window (183 days), three for the other half.
    h = household("green", members=4, labour=2)
    h.report_income(ref(), Decimal("35000"), kind="wage", **YEAR)
    assert status(h).per_capita_income_yuan == Decimal("8750.00")
    h.change_members(ref(), "move_out", "p4", date(2020, 7, 1), True)
    s = status(h)
    assert s.per_capita_income_yuan == Decimal("10000.00")  # 35,000 over 3.5 members
    assert (s.members, s.labour_capable) == (3, 1)  # today's count: 35,000 / 3 would be 11,666.67


def test_a_birth_counts_from_its_day_and_a_change_before_the_registration_is_in_its_count():
    h = household("green", members=3)
    h.report_income(ref(), Decimal("35000"), kind="wage", **YEAR)
    h.change_members(ref(), "birth", "n1", date(2020, 7, 1))
    assert status(h).per_capita_income_yuan == Decimal("10000.00")  # 3 then 4 members
    assert status(h).members == 4
    # Registered on 2020-06-01 with three, one of whom moved in on 2020-03-01.
    from tests.test_domain import Told

    g = Told("H2")
    g.register(ref(213), "T", "V", 3, 1, "green", [])
    g.change_members(ref(200), "move_in", "m3", date(2020, 3, 1))
    g.report_income(ref(), Decimal("35000"), kind="wage", **YEAR)
    assert g.facts.members == 3
    # Two members for the 61 days to 29 February, three for the 305 after.
    assert average_members(g.facts, date(2019, 12, 31), date(2020, 12, 30)) == Decimal(
        2 * 61 + 3 * 305
    ) / Decimal(366)


NON_LEAP = date(2021, 12, 31)  # its window, 2020-12-31 to 2021-12-30, has 365 days


def test_the_allowance_counts_as_transfer_income_and_disability_subsidies_do_not():
    h = household("red", members=1, labour=0)
    h.report_income(ref(-200), Decimal("4000"), date(2021, 1, 1), date(2021, 12, 30), "wage")
    assert status(h, NON_LEAP).per_capita_income_yuan == Decimal("4000.00")
    h.change_assistance(
        ref(-1), "disability_living", "granted", date(2020, 1, 1), Decimal(65), "p1"
    )
    assert status(h, NON_LEAP).per_capita_income_yuan == Decimal("4000.00")
    h.change_assistance(ref(-1), "dibao", "granted", date(2020, 1, 1), Decimal(150))
    assert status(h, NON_LEAP).per_capita_income_yuan == Decimal("5800.00")
    # Stopped from 1 July: the 182 days before count.
    h.change_assistance(ref(-190), "dibao", "stopped", date(2021, 7, 1))
    expected = Decimal("4000") + Decimal(150) * 182 * 12 / 365
    assert status(h, NON_LEAP).per_capita_income_yuan == expected.quantize(Decimal("0.01"))
    # A policy that counts the disability subsidy too.
    counted = PolicyBook.from_toml(
        """
[[policy]]
effective_from = 2021-01-01
poverty_line_yuan = "6000"
watch_band_upper_yuan = "7500"
transfer_schemes = ["dibao", "disability_living"]
"""
    )
    with_subsidy = expected + Decimal(65) * 12
    assert status(h, NON_LEAP, counted).per_capita_income_yuan == with_subsidy.quantize(
        Decimal("0.01")
    )


@pytest.mark.parametrize(("income", "fires"), [("3999.99", True), ("4000.00", False)])
def test_a_registered_household_below_the_allowance_line_without_it_is_a_factor(income, fires):
    h = household("yellow", members=1)
    h.report_income(ref(), Decimal(income), kind="wage", **YEAR)
    assert ("assistance_missing" in codes(h)) == fires
    if fires:
        f = factor(h, "assistance_missing")
        assert f.severity == "watch" and f.figures["dibao_line_yuan"] == "4000"
        h.change_assistance(ref(), "dibao", "granted", date(2020, 12, 1), Decimal(10))
        assert "assistance_missing" not in codes(h)


def test_the_allowance_check_leaves_marginal_households_to_the_income_rules():
    h = household("blue", members=1)
    h.report_income(ref(), Decimal("1000"), kind="wage", **YEAR)
    assert codes(h) == ["income_below_line"]


def test_each_failing_guarantee_is_named_once_in_the_standards_order():
    h = household("yellow", members=1)
    h.report_income(ref(), Decimal("1000"), kind="wage", **YEAR)
    h.check_water(ref(3), "central", False, ["quality"])
    h.change_insurance(ref(3), "p1", "lapsed", 2020)
    h.report_illness(ref(30), "p1", "major", Decimal("100"), Decimal("10"), True)
    h.report_schooling(ref(3), "c1", "dropped_out", "primary", "poverty")
    h.rate_house(ref(3), "C", date(2020, 12, 1))
    assert status(h).guarantees == (
        "income",
        "education",
        "medical",
        "housing",
        "water",
        "safety_net",
    )
    assert failing(["insurance_lapsed", "reimbursement_low", "loan_overdue"]) == ("medical",)


def test_the_packaged_policy_gives_every_value_its_basis_and_labels_hunans_line():
    book = load_policies(Settings())
    import tomllib
    from pathlib import Path

    from services.infra import policyfile

    entries = tomllib.loads(Path(policyfile.DEFAULT_POLICY).read_text(encoding="utf-8"))["policy"]
    for entry, policy in zip(entries, book.policies):
        set_here = set(entry) - {"effective_from", "source", "basis"}
        assert set_here <= set(entry["basis"]), policy.effective_from
    latest = book.in_force(date(2026, 1, 1))
    assert latest.poverty_line_yuan == 7500 and latest.assumed("poverty_line_yuan")
    national = book.in_force(date(2021, 6, 1))
    assert national.poverty_line_yuan == 6000 and not national.assumed("poverty_line_yuan")
    assert national.assumed("watch_band_upper_yuan") and national.assumed("transfer_schemes")


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ('transfer_schemes = ["pension"]', "transfer_schemes"),
        ('house_fix_by = "13-01"', "house_fix_by"),
        ('house_fix_by = "02-29"', "house_fix_by"),
        ('reimbursement_in_county_ratio = "1.2"', "reimbursement_in_county_ratio"),
        ('basis = {poverty_line = "x"}', "basis"),
        ("basis = {poverty_line_yuan = 1}", "basis"),
    ],
)
def test_a_bad_policy_value_is_refused_naming_its_field(line, field):
    text = f"""
[[policy]]
effective_from = 2020-01-01
poverty_line_yuan = "4000"
watch_band_upper_yuan = "5000"
{line}
"""
    with pytest.raises(PolicyError) as caught:
        PolicyBook.from_toml(text)
    assert caught.value.field == field, caught.value


@pytest.mark.parametrize(
    ("in_county", "referred", "english", "chinese"),
    [
        (True, None, "self-paid 1000 yuan", "县域内住院"),
        (False, None, "treated outside the county", "县域外住院"),
        (False, True, "treated outside the county", "经转诊县域外住院"),
        (False, False, "treated outside the county without referral", "未经转诊县域外住院"),
    ],
)
def test_a_stays_line_in_the_timeline_says_where_it_was_and_whether_referred(
    in_county, referred, english, chinese
):
    from domain.timeline import timeline
    from services.presentation.words import Words

    h = household("yellow", members=1)
    h.report_illness(
        ref(30), "p1", "major", Decimal("5000"), Decimal("4000"), in_county, referred=referred
    )
    (line,) = [e for e in timeline(h.events) if e.kind == "IllnessReported"]
    assert line.text.endswith(english)
    said = Words("zh").sentence("timeline.IllnessReported", line.text, line.fields)
    assert f"（{chinese}）" in said and "已报销 4000 元" in said
