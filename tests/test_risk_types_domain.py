"""Who is watched and what a new risk opens: the mechanism's 因残 and 缺劳动力,
a dropout by its reason, safe water's fix-by day, a green household and an
ordinary rural household in scope of the packaged rules. Pure, without a
store (the contract and the broker: tests/test_disability_contract.py)."""

from __future__ import annotations

import dataclasses
import marshal
from datetime import date
from decimal import Decimal

import pytest

from domain.facts import fold
from domain.leads import declared_lead, staff_lead
from domain.policy import PolicyBook, PolicyError
from domain.risk import assess
from domain.standard import WATER_LATE_BIT, standard_bits
from domain.task_input import TaskInputError
from domain.timeline import timeline
from services.households.packing import pack_sheet, unpack_sheet
from services.infra.rulefile import load_rules
from tests.test_domain import ON, POLICY, YEAR, Told, codes, household, level, ref

RULES = load_rules(None)


def status(h, on: date = ON, book: PolicyBook = POLICY):
    return assess(h.facts, book.in_force(on), on)


def factor(h, code: str, on: date = ON):
    found = [f for f in status(h, on).factors if f.code == code]
    return found[0] if found else None


def rule_of(h, on: date = ON) -> str | None:
    rule = RULES.match(status(h, on))
    return rule.id if rule else None


# -- 因残 ---------------------------------------------------------------------


def test_a_severely_disabled_member_without_the_two_subsidies_is_a_factor():
    h = household("yellow", members=3, labour=2)
    h.change_disability(ref(30), "p2", "certified", date(2020, 11, 1), "physical", 2)
    f = factor(h, "disability")
    assert f is not None and f.severity == "high" and level(h) == "high"
    assert f.figures == {"members": "1", "without_subsidies": "1", "labour_capable": "2"}
    # The certificate's category, grade and member are health details: the
    # factor (which travels on povwatch.tasks and into lists) names none.
    told = " ".join([f.reason, *f.figures.values()])
    assert "physical" not in told and "p2" not in told and "grade" not in told
    # Either subsidy paying answers it.
    h.change_assistance(ref(5), "disability_care", "granted", date(2020, 12, 1), Decimal(65), "p2")
    assert "disability" not in codes(h)
    # Stopped: the factor is back.
    h.change_assistance(ref(2), "disability_care", "stopped", date(2020, 12, 20), person_ref="p2")
    assert "disability" in codes(h)


def test_the_disability_factor_travels_as_a_health_factor_and_its_measure_unnamed():
    from domain.health import HEALTH_MEASURES, without_amounts

    h = household("yellow", members=3, labour=2)
    h.change_disability(ref(30), "p2", "certified", date(2020, 11, 1), "physical", 1)
    f = factor(h, "disability")
    told = {"severity": f.severity, "reason": f.reason, "figures": f.figures}
    sent = without_amounts("disability", told)
    assert sent["figures"] == {} and sent["severity"] == "high" and "member" in sent["reason"]
    assert "disability_subsidy" in HEALTH_MEASURES


def test_a_subsidy_for_another_member_does_not_answer_it():
    h = household("yellow", members=3, labour=2)
    h.change_disability(ref(30), "p2", "certified", date(2020, 11, 1), "visual", 1)
    h.change_assistance(
        ref(5), "disability_living", "granted", date(2020, 12, 1), Decimal(65), "p3"
    )
    assert "disability" in codes(h)


def test_a_subsidised_severe_disability_is_a_factor_when_no_one_can_work():
    h = household("green", members=2, labour=0)
    h.change_disability(ref(30), "p1", "certified", date(2020, 11, 1), "intellectual", 1)
    h.change_assistance(ref(5), "disability_care", "granted", date(2020, 12, 1), Decimal(65), "p1")
    f = factor(h, "disability")
    assert f is not None and f.figures["without_subsidies"] == "0"
    assert f.figures["labour_capable"] == "0"


@pytest.mark.parametrize("grade", [3, 4])
def test_a_grade_3_or_4_certificate_is_no_factor(grade):
    h = household("yellow", members=2, labour=0)
    h.change_disability(ref(30), "p1", "certified", date(2020, 11, 1), "hearing", grade)
    assert "disability" not in codes(h)


def test_the_later_certificate_decides_and_a_cancelled_one_ends_the_factor():
    h = household("yellow")
    h.change_disability(ref(30), "p1", "certified", date(2020, 11, 1), "physical", 2)
    assert "disability" in codes(h)
    # An older certificate arriving late does not undo the newer one.
    h.change_disability(ref(2), "p1", "certified", date(2020, 6, 1), "physical", 4)
    assert "disability" in codes(h)
    h.change_disability(ref(1), "p1", "cancelled", date(2020, 12, 20))
    assert "disability" not in codes(h)
    # A certificate from after the day is not read on it.
    h.change_disability(ref(-5), "p1", "changed", date(2021, 1, 4), "physical", 1)
    assert "disability" not in codes(h)
    assert "disability" in codes(h, date(2021, 1, 5))


# -- 缺劳动力 -----------------------------------------------------------------


def test_no_one_able_to_work_after_a_member_change_is_a_factor():
    h = household("yellow", members=3, labour=1)
    assert codes(h) == []
    h.change_members(ref(10), "death", "p1", date(2020, 12, 10), True)
    f = factor(h, "labour_lacking")
    assert f is not None and f.severity == "high"
    assert f.figures == {"members": "2", "left": "1", "since": "2020-12-10"}
    # As of a day before the change, the household had its labour.
    assert "labour_lacking" not in codes(h, date(2020, 12, 9))
    # A member able to work moving in answers it.
    h.change_members(ref(2), "move_in", "p4", date(2020, 12, 28), True)
    assert "labour_lacking" not in codes(h)


def test_a_household_registered_without_labour_or_losing_a_member_who_cannot_work_is_no_factor():
    h = household("yellow", members=2, labour=0)
    h.change_members(ref(10), "death", "p2", date(2020, 12, 10), False)
    assert "labour_lacking" not in codes(h)
    h = household("yellow", members=3, labour=1)
    h.change_members(ref(10), "move_out", "p3", date(2020, 12, 10), False)
    assert "labour_lacking" not in codes(h)


# -- a dropout by its reason (plan §3(2)1) -----------------------------------


@pytest.mark.parametrize(
    ("reason", "severity", "education_fails"),
    [
        ("poverty", "high", True),
        ("unknown", "high", True),
        ("illness", "watch", False),
        ("disability", "watch", False),
        ("weariness", "watch", False),
        ("work", "watch", False),
    ],
)
def test_a_dropout_fails_the_guarantee_when_for_poverty_or_for_a_reason_not_known(
    reason, severity, education_fails
):
    h = household("green")
    h.report_schooling(ref(20), "c1", "dropped_out", "junior_secondary", reason)
    f = factor(h, "school_dropout")
    assert f is not None and f.severity == severity and level(h) == severity
    assert ("education" in status(h).guarantees) is education_fails
    assert reason not in f.reason or reason in ("poverty",)
    assert f.figures["reason_unknown"] == ("1" if reason == "unknown" else "0")
    # A green household leads on the failed guarantee, not on the one kept at watch.
    assert rule_of(h) == ("green-unstable" if education_fails else None)


# -- safe water's fix-by day (plan §3(2)5) -----------------------------------


def test_unsafe_water_has_the_end_of_june_as_its_day_and_is_then_past_due():
    h = household("yellow")
    h.check_water(ref(250), "dispersed", False, ["quality"])  # 2020-04-25
    f = factor(h, "water_unsafe", date(2020, 6, 30))
    assert f.figures["fix_by"] == "2020-06-30"
    assert status(h, date(2020, 6, 30)).water_fix_overdue is False
    late = status(h, date(2020, 7, 1))
    assert late.water_fix_overdue is True
    assert "overdue" in factor(h, "water_unsafe", date(2020, 7, 1)).reason
    assert standard_bits(late.guarantees, late.house_fix_overdue, late.water_fix_overdue) & (
        1 << WATER_LATE_BIT
    )
    # A check failing after June has the next June as its day.
    h.check_water(ref(100), "dispersed", False, ["access"])  # 2020-09-22
    assert factor(h, "water_unsafe").figures["fix_by"] == "2021-06-30"
    assert status(h).water_fix_overdue is False
    # Made safe: nothing past due.
    h.check_water(ref(2), "dispersed", True, [])
    assert status(h).water_fix_overdue is False and codes(h) == []


def test_the_water_fix_by_day_is_the_policys_and_a_bad_one_is_refused_naming_it():
    book = PolicyBook.from_toml(
        """
[[policy]]
effective_from = 2020-01-01
poverty_line_yuan = "4000"
watch_band_upper_yuan = "5000"
water_fix_by = "09-30"
"""
    )
    assert book.in_force(ON).water_fix_by == (9, 30)
    with pytest.raises(PolicyError) as e:
        PolicyBook.from_toml(
            """
[[policy]]
effective_from = 2020-01-01
poverty_line_yuan = "4000"
watch_band_upper_yuan = "5000"
water_fix_by = "06-31"
"""
        )
    assert e.value.field == "water_fix_by"


# -- who is in scope: the packaged rules -------------------------------------


def test_a_green_household_below_the_line_is_a_lead_and_red_stays_under_help():
    h = household("green", members=2)
    h.report_income(ref(), Decimal("7000"), kind="wage", **YEAR)  # 3,500 a head
    assert level(h) == "high" and rule_of(h) == "green-unstable"
    red = household("red", members=2)
    red.report_income(ref(), Decimal("7000"), kind="wage", **YEAR)
    assert rule_of(red) == "red-under-help"
    # Above the line: no lead.
    ok = household("green", members=2)
    ok.report_income(ref(), Decimal("9000"), kind="wage", **YEAR)
    assert rule_of(ok) is None


def test_a_green_household_at_high_for_other_reasons_is_not_a_lead_and_critical_still_is():
    h = household("green", members=2)
    h.report_income(ref(), Decimal("9000"), kind="wage", **YEAR)
    h.issue_loan(ref(300), "L1", Decimal(5000), date(2020, 6, 1))  # 213 days past due: high
    assert level(h) == "high" and rule_of(h) is None
    h.rate_house(ref(10), "D", date(2020, 12, 21))  # critical
    assert rule_of(h) == "green-sudden-hardship"


@pytest.mark.parametrize("card", ["green", "yellow", "blue"])
def test_the_new_risk_types_lead_whatever_the_card(card):
    h = household(card, members=2, labour=1)
    h.change_members(ref(10), "death", "p1", date(2020, 12, 10), True)
    assert rule_of(h) == ("green-unstable" if card == "green" else "watch-yellow-blue")
    measures = RULES.measures_for(RULES.match(status(h)), status(h))
    assert "minimum_living_allowance" in measures


def test_an_ordinary_rural_household_below_the_line_is_a_lead_for_identification():
    u = Told("U1")  # the registry does not hold it
    u.report_income(ref(), Decimal("3000"), kind="wage", **YEAR)
    s = status(u)
    assert [f.code for f in s.factors] == ["income_below_line"] and s.level == "high"
    rule = RULES.match(s)
    assert rule is not None and rule.id == "identify-ordinary-income" and rule.task == "identify"
    # Its members from the registry's member changes, when they say.
    u.change_members(ref(700), "move_in", "p1", date(2019, 1, 1), True)
    u.change_members(ref(700), "move_in", "p2", date(2019, 1, 1), False)
    assert status(u).per_capita_income_yuan == Decimal("1500.00")
    # Above the line with one member counted: no lead (never on an undercount).
    v = Told("U2")
    v.report_income(ref(), Decimal("4500"), kind="wage", **YEAR)
    assert status(v).factors == () and RULES.match(status(v)) is None


# -- the hardship lists --------------------------------------------------------


def test_a_household_can_declare_and_staff_can_record_the_new_risk_types():
    at = ref().occurred_at
    assert declared_lead(at, "disability", "家里老人残疾无人照顾")["factors"] == ["disability"]
    assert declared_lead(at, "labour_lacking", "家里没人能干活了")["factors"] == ["labour_lacking"]
    lead = staff_lead("staff-1", at, ["labour_lacking", "disability"], "")
    assert lead["factors"] == ["disability", "labour_lacking"]
    with pytest.raises(TaskInputError):
        declared_lead(at, "blindness", "说明困难情况")


# -- the fact sheet and the timeline -----------------------------------------


def test_a_fact_sheet_packed_before_disabilities_were_kept_still_unpacks():
    h = household("yellow")
    h.check_water(ref(3), "dispersed", False, ["quantity"])
    sheet = fold(h.events)
    packed = list(marshal.loads(pack_sheet(sheet)))[:-2]  # before the card's last change
    packed[-1] = tuple(packed[-1][:6])  # the standard's part as it was packed before
    old = unpack_sheet(sheet.id, marshal.dumps(tuple(packed)))
    # An older copy knows neither the disabilities nor the card's last change.
    before = dataclasses.replace(sheet.facts, card_before=None, card_changed_on=None)
    assert old.facts == before and old.facts.disabilities == {}
    h.change_disability(ref(2), "p1", "certified", date(2020, 12, 1), "physical", 2)
    sheet = fold(h.events)
    assert unpack_sheet(sheet.id, pack_sheet(sheet)).facts == sheet.facts


def test_a_certificate_reads_in_the_timeline():
    h = household("yellow")
    h.change_disability(ref(2), "p1", "certified", date(2020, 12, 1), "physical", 2)
    line = timeline(h.events)[-1]
    assert line.kind == "DisabilityChanged" and "grade 2" in line.text
    assert line.fields["category"] == "physical"


# -- 两不愁 -------------------------------------------------------------------


def test_food_and_clothing_is_a_guarantee_the_visit_records_and_the_bits_keep_their_places():
    from domain.case_input import check_factors
    from domain.standard import GUARANTEES, HOUSE_LATE_BIT, PICTURED, failing

    # The home verification's hardship list and the staff lead form take it.
    check_factors("hardship", ["food_clothing", "disability", "labour_lacking"])
    assert staff_lead("s", ref().occurred_at, ["food_clothing"], "")["factors"] == ["food_clothing"]
    # The standard's table counts it, in the standard's order (一超过、两不愁、三保障).
    assert list(GUARANTEES)[:3] == ["income", "food_clothing", "education"]
    assert failing(["water_unsafe", "food_clothing", "income_below_line"]) == (
        "income",
        "food_clothing",
        "water",
    )
    # A row of the risk view written before keeps its meaning: the first six
    # guarantees and the late house where they were.
    assert HOUSE_LATE_BIT == 6
    assert standard_bits(["income", "safety_net"], True) == 0b1100001
    assert standard_bits(["food_clothing"], False, True) == (1 << 8) | (1 << 7)
    # The county's picture from the departments' facts does not claim to count it.
    assert "food_clothing" not in PICTURED and len(PICTURED) == 6
