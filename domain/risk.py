"""Risk status: a pure function of a household's facts, the policy and a date.

Factor rules and where they come from:
- income below the line / inside the yellow-blue band: plan §3(1) (cards by
  per-capita income, line 4,000, band 4,000-5,000 in 2020);
- income down 30% or more on the previous 12 months: national monitoring
  practice (income drop is a named trigger);
- self-paid medical cost over the threshold (5,000 registered / 20,000
  others) or over a year's household income: plan §3(2)2 and county practice;
- disaster loss over half a year's income, or a house rated C or D:
  plan §3(2)3 (C/D houses) and §3(1) (major disaster: help at once);
- everyone able to work unemployed, and for a relocated household no one
  employed: plan §3(2)4 (at least one stably employed per relocated family);
- an overdue poverty micro-loan: plan §3(2)8 (overdue rate below 1%);
- the standard's guarantees (schooling, medical insurance and reimbursement,
  housing, water, the minimum-living allowance): plan §3(2)1-6, in
  ``domain.standard``;
- 因残 (a severely disabled member without the two disability subsidies, or
  no one able to work) and 缺劳动力 (no one able to work after a member
  change): the national mechanism's risk types, plan §3(2)6 for the
  subsidies, in ``domain.disability``;
- income below the line for every household, registered or not: since 2021
  every household out of poverty and every ordinary rural household (一般农户)
  is in scope of the national mechanism; the band, the drop and stale
  income are read for registered households only.

Income over the windows (members counted for the days they were members,
civil affairs' grants as transfer income) is ``domain.incomes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from domain.disability import disability_factor, labour_factor
from domain.facts import Facts
from domain.incomes import Incomes, incomes_of, money, year_before
from domain.loans import NO_LOANS, Loans, loan_balance_fen
from domain.policy import Policy
from domain.standard import (
    Late,
    failing_of,
    guarantee_factors,
    reimbursement_factor,
    safety_net_factor,
)
from domain.vocabulary import LEVELS, REGISTERED_CARDS

NOT_LATE = Late()


@dataclass(frozen=True)
class Factor:
    code: str
    severity: str
    reason: str
    figures: dict[str, str] = field(default_factory=dict)


# Neither frozen nor slotted: a frozen dataclass sets each of its two dozen
# fields through object.__setattr__ (a third of an assessment's own time),
# and orjson writes a slotted one at half the speed of one with a __dict__
# (the view writes every status). Nothing changes a status once assessed.
@dataclass
class RiskStatus:
    household_id: str
    registered: bool
    township: str | None
    village: str | None
    card: str | None
    members: int
    labour_capable: int
    evaluated_on: date
    policy_from: date
    per_capita_income_yuan: Decimal | None
    previous_per_capita_income_yuan: Decimal | None
    half_year_per_capita_income_yuan: Decimal | None  # last 6 months, annualised
    income_stale: bool  # registered, but no income report in the last 12 months
    medical_self_paid_yuan: Decimal
    employed_members: int
    housing_damage: str
    open_loans: int
    overdue_loans: int
    factors: tuple[Factor, ...]
    level: str
    guarantees: tuple[str, ...] = ()  # the standard's guarantees failing (domain.standard)
    house_fix_overdue: bool = False  # a C or D house past its fix-by day
    water_fix_overdue: bool = False  # unsafe water past its fix-by day (plan §3(2)5)
    # The open loans' balance and the overdue ones' (plan §3(2)8's overdue
    # rate by balance, as banks compute it), in fen: integers the view sums.
    open_balance_fen: int = 0
    overdue_balance_fen: int = 0
    # The card's last change (domain.facts): the card before and the day.
    card_before: str | None = None
    card_changed_on: date | None = None


class _Factors:
    """The factors found so far, each with the policy's severity unless the
    rule that found it says otherwise."""

    __slots__ = ("policy", "found")

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.found: list[Factor] = []

    def add(self, code: str, reason: str, severity: str | None = None, **figures: object) -> None:
        self.found.append(
            Factor(
                code,
                severity or self.policy.severity_of(code),
                reason,
                {k: str(v) for k, v in figures.items()},
            )
        )


def assess(facts: Facts, policy: Policy, on: date) -> RiskStatus:
    """Derives the household's risk factors and level as of ``on``."""
    start = year_before(on)
    return _assess(facts, policy, on, start, incomes_of(facts, policy, start, on))


def assess_both(
    facts: Facts, policy: Policy, other: Policy, on: date
) -> tuple[RiskStatus, RiskStatus]:
    """The household under two policies on one day (what-if): its incomes,
    the larger part of an assessment, are counted once when both policies
    count the same transfers."""
    start = year_before(on)
    incomes = incomes_of(facts, policy, start, on)
    if other.transfer_schemes != policy.transfer_schemes:
        return _assess(facts, policy, on, start, incomes), assess(facts, other, on)
    return _assess(facts, policy, on, start, incomes), _assess(facts, other, on, start, incomes)


def _assess(facts: Facts, policy: Policy, on: date, start: date, incomes: Incomes) -> RiskStatus:
    found = _Factors(policy)
    if facts.registered:
        _income_factors(found, incomes, policy)
    elif incomes.per_capita is not None:
        _ordinary_income_factor(found, incomes, policy)
    medical = _medical_factor(found, facts, policy, incomes.year, start, on)
    damage = _disaster_factor(found, facts, policy, incomes.year, start, on)
    employed = _employment_factors(found, facts)
    loans = _loan_factor(found, facts, policy, on) if facts.loans else NO_LOANS
    # Most households have none of the guarantees' facts: checked first.
    late = (
        guarantee_factors(found, facts, policy, on)
        if facts.schooling or facts.cover or facts.house or facts.water
        else NOT_LATE
    )
    if facts.disabilities:
        disability_factor(found, facts, on)
    if facts.member_changes:
        labour_factor(found, facts, on)
    if facts.illnesses:
        reimbursement_factor(found, facts, policy, start, on)
    pci = incomes.per_capita
    if facts.registered and pci is not None and pci < policy.dibao_line_yuan:
        safety_net_factor(found, facts, policy, pci, on)
    return RiskStatus(
        household_id=facts.code,
        registered=facts.registered,
        township=facts.township,
        village=facts.village,
        card=facts.card,
        members=facts.members,
        labour_capable=facts.labour_capable,
        evaluated_on=on,
        policy_from=policy.effective_from,
        per_capita_income_yuan=incomes.per_capita,
        previous_per_capita_income_yuan=incomes.previous_per_capita,
        half_year_per_capita_income_yuan=incomes.half_year_per_capita,
        income_stale=facts.registered and not incomes.reported,
        medical_self_paid_yuan=money(medical),
        employed_members=employed,
        housing_damage=damage,
        open_loans=loans.open,
        overdue_loans=loans.overdue,
        factors=tuple(found.found),
        level=level_of(found.found),
        guarantees=failing_of(found.found) if found.found else (),
        house_fix_overdue=late.house,
        water_fix_overdue=late.water,
        open_balance_fen=loans.open_fen,
        overdue_balance_fen=loans.overdue_fen,
        card_before=facts.card_before,
        card_changed_on=facts.card_changed_on,
    )


def _income_factors(found: _Factors, incomes: Incomes, policy: Policy) -> None:
    """Below the line or inside the watch band (plan §3(1)); a drop of the
    policy's ratio on the previous 12 months (national monitoring practice)."""
    pci, prev_pci = incomes.per_capita, incomes.previous_per_capita
    if pci is None:
        return
    line, band = policy.poverty_line_yuan, policy.watch_band_upper_yuan
    if pci < line:
        found.add(
            "income_below_line",
            f"per-capita income {pci} yuan over 12 months is below the line of {line}",
            per_capita_income_yuan=pci,
            poverty_line_yuan=line,
        )
    elif pci < band:
        found.add(
            "income_in_band",
            f"per-capita income {pci} yuan is inside the watch band {line}-{band}",
            per_capita_income_yuan=pci,
            poverty_line_yuan=line,
            band_upper_yuan=band,
        )
    if prev_pci:
        drop = (prev_pci - pci) / prev_pci
        if drop >= policy.income_drop_ratio:
            found.add(
                "income_drop",
                f"per-capita income fell {_pct(drop)} from {prev_pci} to {pci} yuan",
                per_capita_income_yuan=pci,
                previous_yuan=prev_pci,
                drop_ratio=money(drop),
            )


def _ordinary_income_factor(found: _Factors, incomes: Incomes, policy: Policy) -> None:
    """A household the registry does not hold (一般农户) whose departments'
    income facts fall below the line: in scope of the national mechanism
    since 2021 (a 边缘易致贫户 candidate). Its members are those the member
    changes name, or one when none do: the household's whole income then, the
    highest its per-capita income can be, so that a lead is never opened on
    an undercount."""
    pci, line = incomes.per_capita, policy.poverty_line_yuan
    if pci is not None and pci < line:
        found.add(
            "income_below_line",
            f"per-capita income {pci} yuan over 12 months is below the line of {line}"
            " (an ordinary rural household, by the departments' income facts)",
            per_capita_income_yuan=pci,
            poverty_line_yuan=line,
        )


def _medical_factor(
    found: _Factors,
    facts: Facts,
    policy: Policy,
    year_income: Decimal | None,
    start: date,
    on: date,
) -> Decimal:
    """Self-paid cost over 12 months at the threshold, or above the year's
    income (then critical): plan §3(2)2. Returns the self-paid cost."""
    in_window = [i for i in facts.illnesses if start <= i.occurred_on <= on]
    medical = sum((i.self_paid_yuan for i in in_window), Decimal(0))
    threshold = (
        policy.medical_threshold_registered_yuan
        if facts.card in REGISTERED_CARDS
        else policy.medical_threshold_others_yuan
    )
    over_income = year_income is not None and medical > year_income
    if medical >= threshold or (medical > 0 and over_income):
        found.add(
            "medical_cost_high",
            f"self-paid medical cost {money(medical)} yuan over 12 months"
            + (
                f" exceeds the year's household income {money(year_income)}"
                if over_income and year_income is not None
                else ""
            )
            + f" (threshold {threshold})",
            severity="critical" if over_income else None,
            self_paid_yuan=money(medical),
            threshold_yuan=threshold,
            household_income_yuan=money(year_income) if year_income is not None else "unknown",
        )
    return medical


def _disaster_factor(
    found: _Factors,
    facts: Facts,
    policy: Policy,
    year_income: Decimal | None,
    start: date,
    on: date,
) -> str:
    """A house rated C or D (plan §3(2)3), or a loss over the policy's share of
    a year's income; critical for a D house or a loss over the whole year's
    (plan §3(1): a major disaster is helped at once). Returns the worst damage."""
    disasters = [d for d in facts.disasters if start <= d.occurred_on <= on]
    loss = sum((d.loss_yuan for d in disasters), Decimal(0))
    damage = max((d.housing_damage for d in disasters), key="noneCD".find, default="none")
    half_year = year_income * policy.disaster_income_fraction if year_income is not None else None
    if damage in ("C", "D") or (half_year is not None and loss > 0 and loss > half_year):
        severe = damage == "D" or (year_income is not None and loss > year_income)
        found.add(
            "disaster_loss",
            f"disaster loss {money(loss)} yuan"
            + (f", house rated {damage}" if damage != "none" else "")
            + (
                f", more than half a year's income ({money(half_year)})"
                if half_year is not None and loss > half_year
                else ""
            ),
            severity="critical" if severe else None,
            loss_yuan=money(loss),
            housing_damage=damage,
        )
    return damage


def _employment_factors(found: _Factors, facts: Facts) -> int:
    """Everyone able to work unemployed; a relocated household with no one
    employed (plan §3(2)4). Returns the employed members."""
    employed = sum(1 for j in facts.jobs.values() if j.status == "employed")
    unemployed = sum(1 for j in facts.jobs.values() if j.status == "unemployed")
    if facts.labour_capable > 0 and employed == 0:
        if unemployed >= facts.labour_capable:
            found.add(
                "all_unemployed",
                f"all {facts.labour_capable} members able to work are unemployed",
                labour_capable=facts.labour_capable,
                unemployed=unemployed,
            )
        elif "relocated" in facts.flags:
            found.add(
                "relocated_no_employment",
                "relocated household with labour capacity and no one employed",
                labour_capable=facts.labour_capable,
            )
    return employed


def _loan_factor(found: _Factors, facts: Facts, policy: Policy, on: date) -> Loans:
    """An overdue poverty micro-loan (plan §3(2)8), past its due date even when
    the bank has not said so. Returns the open and the overdue loans, by
    count and by balance."""
    open_loans = overdue_loans = open_fen = overdue_fen = 0
    worst_days = 0
    for loan in facts.loans.values():
        if loan.settled:
            continue
        open_loans += 1
        fen = loan_balance_fen(loan)
        open_fen += fen
        days = loan.days_overdue
        if loan.principal_yuan > 0 and on > loan.due_date:
            days = max(days, (on - loan.due_date).days)
        if days > 0:
            overdue_loans += 1
            overdue_fen += fen
            worst_days = max(worst_days, days)
    if overdue_loans:
        found.add(
            "loan_overdue",
            f"{overdue_loans} poverty loan(s) overdue, the longest {worst_days} days",
            severity="high" if worst_days >= policy.loan_overdue_high_days else None,
            overdue_loans=overdue_loans,
            days_overdue=worst_days,
        )
    return Loans(open_loans, overdue_loans, open_fen, overdue_fen)


def level_of(factors: list[Factor]) -> str:
    """The highest factor's severity; two or more high factors make it critical
    (several hardships at once are what pushes a household back)."""
    if not factors:
        return "none"
    top = max(LEVELS.index(f.severity) for f in factors)
    highs = sum(1 for f in factors if f.severity == "high")
    if highs >= 2:
        top = LEVELS.index("critical")
    return LEVELS[top]


def _pct(ratio: Decimal) -> str:
    return f"{(ratio * 100).quantize(Decimal('1'))}%"
