"""The procedure's rules on a case and a monitoring record, without a store:
stages in order, each by its role, deadlines in working days, the notice,
returns, decisions, the help plan and clearance."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import yaml

from domain.access import Principal, Role
from domain.case_input import Acting, CaseForbidden
from domain.cases import Case
from domain.clearance import kind_fits, kind_of, months_later, why_not_cleared
from domain.monitoring import MonitoringRecord
from domain.procedure import Procedure
from domain.risk import RiskStatus
from domain.task_input import TaskError, TaskInputError
from domain.workdays import WorkCalendar, weekdays_only
from services.infra.procedurefile import DEFAULT_PROCEDURE

PROCEDURE = Procedure.model_validate(yaml.safe_load(DEFAULT_PROCEDURE.read_text()))
CAL = WorkCalendar(weekdays_only, years=range(2020, 2030))  # Monday-Friday, known
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday

VILLAGER = Principal("li", Role.VILLAGE, "金龙镇", village="石塘村")
OTHER_VILLAGE = Principal("zhao", Role.VILLAGE, "金龙镇", village="新安村")
STAFF = Principal("wang", Role.STAFF, "金龙镇")
REVIEWER = Principal("chen", Role.REVIEWER, "金龙镇")
OTHER_REVIEWER = Principal("he", Role.REVIEWER, "东塘镇")
APPROVER = Principal("zhou", Role.APPROVER)
COUNTY = Principal("xu", Role.COUNTY)  # the county office runs the cross-check


def act(who: Principal, at: datetime = T0) -> Acting:
    return Acting(who, at, PROCEDURE, CAL)


def opened(kind: str = "identification", card: str | None = "yellow") -> Case:
    stages = PROCEDURE.order(kind)  # type: ignore[arg-type]
    due = PROCEDURE.stages[stages[0]].due.after(T0.date(), CAL)
    return Case(
        household_id="HH-1",
        number=1,
        kind=kind,  # type: ignore[arg-type]
        township="金龙镇",
        village="石塘村",
        card=card,
        lead={"channel": "department", "at": T0},
        stages=stages,
        stage_due=due.on,
        due_assumed=due.assumed,
        decision_due=PROCEDURE.decision_within.after(T0.date(), CAL).on,
        at=T0,
    )


def verify(case: Case, at: datetime = T0, labour: int = 2, who: Principal = VILLAGER) -> None:
    case.verify(
        act(who, at), visited_on=at.date(), members=4, labour_capable=labour,
        income_estimate_yuan=8000, hardship=["medical_cost_high"], consent=True,
    )  # fmt: skip


def authorise(case: Case, at: datetime = T0) -> None:
    case.authorise(act(VILLAGER, at), signed=True, signed_on=at.date(), kept_at="村委会档案室")


def through_notice(case: Case, at: datetime = T0) -> datetime:
    verify(case, at)
    if "crosscheck" in case.stages:
        authorise(case, at)
        case.cross_check(act(COUNTY, at), matches=True)
    category = "unstable" if case.kind == "identification" else None
    case.village_review(
        act(VILLAGER, at), held_on=at.date(), attendees=12, agreed=True,
        category=category,
    )  # fmt: skip
    case.post_notice(act(VILLAGER, at), starts_on=at.date(), days=5)
    after = at + timedelta(days=5)
    case.close_notice(act(VILLAGER, after))
    return after


def test_a_lead_goes_through_every_stage_to_a_monitoring_object() -> None:
    case = opened()
    assert case.stage == "verify" and case.stage_due == date(2026, 3, 4)  # 2 working days
    assert case.decision_due == date(2026, 3, 30)  # 20 working days
    at = through_notice(case)
    assert case.stage == "township_review"
    case.township_review(act(REVIEWER, at), approve=True)
    case.decide(act(APPROVER, at), approve=True, category="unstable")
    assert not case.is_open and case.outcome == "monitored" and case.category == "unstable"
    whats = [h["what"] for h in case.history]
    assert whats == [
        "opened", "verified", "authorised", "cross-checked", "village reviewed",
        "notice posted", "notice closed", "approved", "monitored",
    ]  # fmt: skip
    assert [h["by"] for h in case.history][1:4] == ["li", "li", "xu"]
    assert {h["role"] for h in case.history[1:]} == {"village", "county", "reviewer", "approver"}
    assert case.records["consent"]["kept_at"] == "村委会档案室"


def test_each_stage_only_by_its_role_and_only_in_its_area() -> None:
    case = opened()
    with pytest.raises(CaseForbidden, match="reviewer role does not act at verify"):
        verify(case, who=REVIEWER)
    with pytest.raises(CaseForbidden, match="outside your area"):
        verify(case, who=OTHER_VILLAGE)
    with pytest.raises(CaseForbidden):
        verify(case, who=APPROVER)
    through_notice(case)
    for who in (VILLAGER, STAFF, APPROVER):
        with pytest.raises(CaseForbidden):
            case.township_review(act(who, T0), approve=True)
    with pytest.raises(CaseForbidden, match="outside your area"):
        case.township_review(act(OTHER_REVIEWER, T0), approve=True)
    case.township_review(act(REVIEWER, T0), approve=True)
    with pytest.raises(CaseForbidden):
        case.decide(act(REVIEWER, T0), approve=True, category="unstable")


def test_stages_happen_in_order() -> None:
    case = opened()
    with pytest.raises(TaskError, match="the case is at verify"):
        case.cross_check(act(COUNTY, T0), matches=True)
    verify(case)
    with pytest.raises(TaskError, match="at crosscheck"):
        verify(case)  # a step is never recorded twice


def test_the_notice_lasts_its_minimum_and_cannot_close_early() -> None:
    case = opened()
    verify(case)
    authorise(case)
    case.cross_check(act(COUNTY, T0), matches=True)
    case.village_review(
        act(VILLAGER, T0), held_on=T0.date(), attendees=9, agreed=True,
        category="sudden",
    )  # fmt: skip
    with pytest.raises(TaskInputError) as short:
        case.post_notice(act(VILLAGER, T0), starts_on=T0.date(), days=4)
    assert short.value.field == "days"
    case.post_notice(act(VILLAGER, T0), starts_on=T0.date(), days=5)
    assert case.notice is not None and case.notice["ends_on"] == date(2026, 3, 6)
    with pytest.raises(TaskError, match="before it ends"):
        case.close_notice(act(VILLAGER, T0 + timedelta(days=4)))
    case.record_objection(
        act(VILLAGER, T0 + timedelta(days=1)), received_on=date(2026, 3, 3),
        text="村民反映该户收入情况有变化",
    )  # fmt: skip
    with pytest.raises(TaskInputError) as outside:
        case.record_objection(
            act(VILLAGER, T0 + timedelta(days=9)), received_on=date(2026, 3, 9), text="晚了"
        )
    assert outside.value.field == "received_on"
    with pytest.raises(TaskInputError) as unsaid:  # objections need their handling said
        case.close_notice(act(VILLAGER, T0 + timedelta(days=5)))
    assert unsaid.value.field == "handling"
    case.close_notice(act(VILLAGER, T0 + timedelta(days=5)), handling="已核实，无误")
    assert case.stage == "township_review" and len(case.objections) == 1


def test_a_reviewer_returns_a_case_with_a_reason() -> None:
    case = opened()
    at = through_notice(case)
    with pytest.raises(TaskInputError) as no_reason:
        case.township_review(act(REVIEWER, at), approve=False, return_to="verify")
    assert no_reason.value.field == "reason"
    with pytest.raises(TaskInputError) as later:
        case.township_review(
            act(REVIEWER, at), approve=False, return_to="county_decision", reason="x"
        )
    assert later.value.field == "return_to"
    case.township_review(act(REVIEWER, at), approve=False, return_to="verify", reason="收入需再核")
    assert case.stage == "verify" and case.notice is None
    assert case.history[-1]["what"] == "returned" and "收入需再核" in case.history[-1]["detail"]


def test_a_declined_lead_and_a_review_that_does_not_agree() -> None:
    case = opened()
    verify(case)
    authorise(case)
    case.cross_check(act(COUNTY, T0), matches=False, differences="车辆信息不符")
    case.village_review(
        act(VILLAGER, T0), held_on=T0.date(), attendees=9, agreed=False,
        note="评议未通过",
    )  # fmt: skip
    assert case.stage == "township_review" and case.notice is None  # nothing posted
    case.township_review(act(REVIEWER, T0), approve=True)
    with pytest.raises(TaskInputError) as no_reason:
        case.decide(act(APPROVER, T0), approve=False)
    assert no_reason.value.field == "reason"
    # Declining names the reason's category, the one thing the household is told.
    for given, problem in ((None, "unknown_reason"), ("too_rich", "unknown_reason")):
        with pytest.raises(TaskInputError) as no_category:
            case.decide(
                act(APPROVER, T0), approve=False, reason="收入高于监测线", reason_category=given
            )
        assert (no_category.value.field, no_category.value.problem) == ("reason_category", problem)
    case.decide(
        act(APPROVER, T0), approve=False, reason="收入高于监测线",
        reason_category="income_above_range",
    )  # fmt: skip
    assert case.outcome == "declined" and case.reason == "收入高于监测线"
    assert case.reason_category == "income_above_range"


def test_cross_check_needs_consent_and_input_is_checked() -> None:
    case = opened()
    with pytest.raises(TaskInputError) as labour:
        case.verify(
            act(VILLAGER, T0), visited_on=T0.date(), members=2, labour_capable=3,
            income_estimate_yuan=1, hardship=[], consent=False,
        )  # fmt: skip
    assert labour.value.field == "labour_capable"
    with pytest.raises(TaskInputError) as personal:
        case.verify(
            act(VILLAGER, T0), visited_on=T0.date(), members=2, labour_capable=1,
            income_estimate_yuan=1, hardship=[], consent=False, note="电话 13812345678",
        )  # fmt: skip
    assert personal.value.problem == "personal_number"
    case.verify(
        act(VILLAGER, T0), visited_on=T0.date(), members=2, labour_capable=1,
        income_estimate_yuan=1, hardship=[], consent=False,
    )  # fmt: skip
    with pytest.raises(TaskError, match="not signed the authorisation"):
        case.cross_check(act(COUNTY, T0), matches=True)


def test_clearance_never_for_a_household_no_one_can_work_in() -> None:
    case = opened("clearance")
    assert "crosscheck" not in case.stages
    verify(case, labour=0)
    case.village_review(act(VILLAGER, T0), held_on=T0.date(), attendees=9, agreed=True)
    case.post_notice(act(VILLAGER, T0), starts_on=T0.date(), days=5)
    at = T0 + timedelta(days=6)
    case.close_notice(act(VILLAGER, at))
    case.township_review(act(REVIEWER, at), approve=True)
    with pytest.raises(TaskError, match="no one in the household can work"):
        case.decide(act(APPROVER, at), approve=True)
    with pytest.raises(TaskInputError) as not_here:
        case.decide(act(APPROVER, at), approve=False, reason="继续监测", reason_category="other")
    assert not_here.value.problem == "not_here"
    case.decide(act(APPROVER, at), approve=False, reason="继续监测")
    assert case.outcome == "kept" and case.reason_category is None


def test_a_stage_past_its_deadline_is_overdue() -> None:
    case = opened()
    assert case.overdue_since(date(2026, 3, 4)) is None
    assert case.overdue_since(date(2026, 3, 5)) == date(2026, 3, 4)


def monitored_record(since: date) -> MonitoringRecord:
    record = MonitoringRecord("HH-1", "金龙镇", "石塘村", at=T0)
    case = opened()
    record.case_opened(case.id, T0)
    record.case_decided(case.id, "monitored", "unstable", since, T0)
    return record


def test_a_help_plan_kept_by_township_staff() -> None:
    record = monitored_record(T0.date())
    mid = record.add_measure(
        act(STAFF, T0), kind="medical_aid", department="县医保局", due_on=date(2026, 4, 1)
    )
    record.add_measure(
        act(STAFF, T0), kind="public_welfare_post", department="乡镇人社站",
        due_on=date(2026, 4, 15),
    )  # fmt: skip
    with pytest.raises(CaseForbidden):
        record.add_measure(
            act(VILLAGER, T0), kind="medical_aid", department="x", due_on=date(2026, 4, 1)
        )
    with pytest.raises(TaskInputError) as bad:
        record.update_measure(act(STAFF, T0), measure_id=mid, state="finished")
    assert bad.value.field == "state"
    record.update_measure(act(STAFF, T0), measure_id=mid, state="done", note="已报销")
    assert record.measures_done() == 1 and len(record.plan) == 2
    with pytest.raises(TaskError, match="it is done"):
        record.update_measure(act(STAFF, T0), measure_id=mid, state="in_progress")


def status(labour: int = 2, income: int = 9000, level: str = "none") -> RiskStatus:
    return RiskStatus(
        household_id="HH-1", registered=True, township="金龙镇", village="石塘村", card="yellow",
        members=4, labour_capable=labour, evaluated_on=T0.date(), policy_from=date(2026, 1, 1),
        per_capita_income_yuan=Decimal(income), previous_per_capita_income_yuan=None,
        half_year_per_capita_income_yuan=Decimal(income), income_stale=False,
        medical_self_paid_yuan=Decimal(0), employed_members=1, housing_damage="none",
        open_loans=0, overdue_loans=0, factors=(), level=level,
    )  # fmt: skip


def test_clearance_is_proposed_only_when_every_condition_holds() -> None:
    rule, line, stable = PROCEDURE.clearance, Decimal(7500), Decimal(9000)
    record = monitored_record(date(2026, 3, 2))
    six = months_later(date(2026, 3, 2), 6)
    assert six == date(2026, 9, 2) and months_later(date(2026, 8, 31), 6) == date(2027, 2, 28)
    early = why_not_cleared(record, status(), stable, line, rule, six - timedelta(1))
    assert "months" in (early or "")
    # 自然消除: no measure needed; the job proposes the kind the plan shows.
    assert why_not_cleared(record, status(), stable, line, rule, six) is None
    assert kind_of(record, rule) == "natural"
    with pytest.raises(TaskInputError) as helped:
        kind_fits("helped", record, rule)
    assert helped.value.field == "kind"
    mid = record.add_measure(
        act(STAFF, T0), kind="employment_help", department="人社局", due_on=T0.date()
    )
    record.update_measure(act(STAFF, T0), measure_id=mid, state="done")
    assert kind_of(record, rule) == "helped"
    kind_fits("helped", record, rule)
    assert "work" in (why_not_cleared(record, status(labour=0), stable, line, rule, six) or "")
    low = why_not_cleared(record, status(income=7000), stable, line, rule, six)
    assert "income" in (low or "")
    # The stable months' income is the procedure file's window, not the year's.
    assert "6 months" in (why_not_cleared(record, status(), Decimal(7000), line, rule, six) or "")
    assert "income" in (why_not_cleared(record, status(), None, line, rule, six) or "")
    assert "risk" in (why_not_cleared(record, status(level="high"), stable, line, rule, six) or "")
    # A risk at watch also blocks clearance.
    watch = why_not_cleared(record, status(level="watch"), stable, line, rule, six)
    assert "watch" in (watch or "")


def test_a_household_that_declines_to_sign_ends_its_case_with_that_reason() -> None:
    case = opened()
    verify(case)
    with pytest.raises(TaskInputError) as unsaid:
        case.authorise(act(VILLAGER), signed=False)
    assert unsaid.value.field == "reason"
    with pytest.raises(TaskInputError) as where:
        case.authorise(act(VILLAGER), signed=True, signed_on=T0.date())
    assert where.value.field == "kept_at"
    with pytest.raises(TaskInputError) as later:
        case.authorise(
            act(VILLAGER), signed=True, signed_on=T0.date() + timedelta(1), kept_at="村委会"
        )
    assert later.value.field == "signed_on"
    with pytest.raises(CaseForbidden):
        case.authorise(act(REVIEWER), signed=False, reason="不愿授权")
    case.authorise(act(VILLAGER), signed=False, reason="户主不同意查询家庭资产信息")
    assert not case.is_open and case.outcome == "declined" and case.stage is None
    assert "户主不同意查询家庭资产信息" in case.reason
    assert case.records["crosscheck"]["outcome"] == "declined"
    assert "county_decision" not in case.records
    assert [h["what"] for h in case.history][-2:] == ["declined to authorise", "declined"]


def test_the_cross_check_is_the_county_offices() -> None:
    case = opened()
    verify(case)
    authorise(case)
    for who in (VILLAGER, STAFF):
        with pytest.raises(CaseForbidden, match="does not act at crosscheck"):
            case.cross_check(act(who), matches=True)
    with pytest.raises(TaskError, match="it is signed"):
        authorise(case)
    case.cross_check(act(COUNTY), matches=True)
    assert case.stage == "village_review" and case.records["crosscheck"]["by"] == "xu"


@pytest.mark.parametrize(
    ("card", "fits", "unfit"),
    [
        ("yellow", ("unstable", "sudden"), "marginal"),
        ("green", ("unstable", "sudden"), "marginal"),
        ("blue", ("marginal", "sudden"), "unstable"),
        (None, ("marginal", "sudden"), "unstable"),  # 一般农户: outside the registry
        ("red", ("marginal", "sudden"), "unstable"),  # registered, not out of poverty
    ],
)
def test_the_category_fits_the_household(card, fits, unfit) -> None:
    def reviewed(category: str) -> Case:
        case = opened(card=card)
        verify(case)
        authorise(case)
        case.cross_check(act(COUNTY), matches=True)
        case.village_review(
            act(VILLAGER), held_on=T0.date(), attendees=9, agreed=True, category=category
        )
        return case

    with pytest.raises(TaskInputError) as review:
        reviewed(unfit)
    assert review.value.field == "category" and review.value.problem == "category_unfit"
    for category in fits:
        case = reviewed(category)
        case.post_notice(act(VILLAGER), starts_on=T0.date(), days=5)
        at = T0 + timedelta(days=5)
        case.close_notice(act(VILLAGER, at))
        case.township_review(act(REVIEWER, at), approve=True)
        with pytest.raises(TaskInputError) as decision:
            case.decide(act(APPROVER, at), approve=True, category=unfit)
        assert decision.value.field == "category"
        case.decide(act(APPROVER, at), approve=True, category=category)
        assert case.category == category


def test_help_first_only_for_sudden_severe_hardship_before_the_decision() -> None:
    case = opened()
    due = T0.date() + timedelta(days=10)
    with pytest.raises(TaskError, match="sudden severe hardship"):
        case.help_first(act(STAFF), kind="relief_fund", department="县应急管理局", due_on=due)
    sudden = opened()
    sudden.add_lead({"channel": "department", "at": T0, "factors": ["disaster_loss"]}, T0)
    with pytest.raises(CaseForbidden):
        sudden.help_first(act(VILLAGER), kind="relief_fund", department="县应急管理局", due_on=due)
    with pytest.raises(TaskInputError) as bad:
        sudden.help_first(act(STAFF), kind="cash", department="县应急管理局", due_on=due)
    assert bad.value.field == "kind"
    sudden.help_first(act(STAFF), kind="relief_fund", department="县应急管理局", due_on=due)
    sudden.help_first(act(STAFF), kind="housing_repair", department="县住建局", due_on=due)
    assert [m["id"] for m in sudden.helped_first] == ["g1", "g2"]
    assert sudden.history[-1]["what"] == "helped first" and sudden.stage == "verify"
    # The visit's finding counts too: a major illness's cost found at home.
    case.verify(
        act(VILLAGER), visited_on=T0.date(), members=4, labour_capable=2,
        income_estimate_yuan=8000, hardship=["medical_cost_high"], consent=True,
    )  # fmt: skip
    case.help_first(act(STAFF), kind="medical_aid", department="县医保局", due_on=due)
    case.authorise(act(VILLAGER), signed=False, reason="不愿授权")
    with pytest.raises(TaskError, match="before an identification's decision"):
        case.help_first(act(STAFF), kind="relief_fund", department="县应急管理局", due_on=due)


def test_the_stable_income_is_read_over_the_procedure_files_months() -> None:
    from domain.facts import Facts, Income
    from domain.incomes import recent_per_capita
    from services.infra.policyfile import load_policies
    from services.infra.settings import Settings

    on = date(2026, 9, 1)
    policy = load_policies(Settings()).in_force(on)
    # 1,000 a month until June, then 300 a month: the last 3 months are low.
    months = [(date(2026, m, 1), date(2026, m + 1, 1) - timedelta(1)) for m in range(1, 9)]
    facts = Facts(
        code="HH-1", members=1,
        incomes=[Income(Decimal(1000 if m[0].month < 6 else 300), *m, "wage") for m in months],
    )  # fmt: skip
    assert recent_per_capita(facts, policy, on, 3) == Decimal("3600.00")  # 300 x 12
    six = recent_per_capita(facts, policy, on, 6)
    assert six is not None and six > Decimal(3600)
    assert recent_per_capita(Facts(code="HH-2", members=1), policy, on, 6) is None
    rule = PROCEDURE.clearance.model_copy(update={"stable_months": 3})
    record = monitored_record(date(2026, 1, 5))
    low = recent_per_capita(facts, policy, on, rule.stable_months)
    assert "3 months" in (
        why_not_cleared(record, status(), low, Decimal(3000) + 1000, rule, on) or ""
    )
