"""The standard's guarantees as risk factors, and what the members' changes and
social assistance do to per-capita income: pure functions of a household's
facts, the policy and a date, called by ``domain.risk.assess``.

The standard is 一超过、两不愁、三保障 and safe drinking water (plan §3(1)); each
guarantee's department and figure is in plan §3(2) (两不愁, food and
clothing, has no department: the home verification records it):
- education: no child of compulsory-school age out of school for poverty
  (§3(2)1): a dropout for poverty, or for a reason the school does not know,
  fails the guarantee (high); one for another reason (illness, disability:
  health details; weariness, work) stays visible at watch;
- medical: basic medical insurance for everyone (100%), and a hospital stay
  reimbursed at least 85% in the county, 80% outside it after referral
  (§3(2)2);
- housing: houses rated C or D fixed by the end of June (§3(2)3);
- water: safe drinking water, in quality, quantity and access, by the end
  of June (§3(2)5), like housing's day;
- safety net: registered households below the minimum-living line in the
  allowance (§3(2)6, "两线融合").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple, Protocol

from domain.facts import Assistance, Facts
from domain.policy import Policy
from domain.vocabulary import CARDS, REGISTERED_CARDS

ONE_DAY = timedelta(days=1)
CENT = Decimal("0.01")
DAYS_A_MONTH = Decimal(365) / Decimal(12)

# Each guarantee and the factors that say it fails; "income" is the
# standard's 一超过. The county's picture counts households per guarantee.
GUARANTEES: dict[str, tuple[str, ...]] = {
    "income": ("income_below_line",),
    # 两不愁: no department publishes it; the home verification records it
    # (its hardship list), and a lead or verification naming it fails it.
    "food_clothing": ("food_clothing",),
    "education": ("school_dropout",),
    "medical": ("insurance_lapsed", "reimbursement_low"),
    "housing": ("housing_unsafe",),
    "water": ("water_unsafe",),
    "safety_net": ("assistance_missing",),
}
_GUARANTEE_OF = {code: g for g, codes in GUARANTEES.items() for code in codes}


class Found(Protocol):
    def add(
        self, code: str, reason: str, severity: str | None = None, **figures: object
    ) -> None: ...


def failing(codes: Iterable[str]) -> tuple[str, ...]:
    """The guarantees the factors say fail, in the standard's order."""
    seen = {_GUARANTEE_OF[c] for c in codes if c in _GUARANTEE_OF}
    return tuple(g for g in GUARANTEES if g in seen)


class _Coded(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def severity(self) -> str: ...


def failing_of(factors: Iterable[_Coded]) -> tuple[str, ...]:
    """The guarantees an assessment's factors say fail; a dropout kept at
    watch does not fail it (one for illness: plan §3(2)1 guarantees
    schooling against poverty)."""
    return failing(
        f.code for f in factors if not (f.code == "school_dropout" and f.severity == "watch")
    )


# A risk status's guarantees as the bits of one integer, the one column the
# risk view keeps for them: each guarantee's bit, a C or D house past its
# day, unsafe water past its day. A bit keeps its place once given (rows
# written before keep their meaning): a new one takes the next free bit.
BIT_OF: dict[str, int] = {
    "income": 0,
    "education": 1,
    "medical": 2,
    "housing": 3,
    "water": 4,
    "safety_net": 5,
    "food_clothing": 8,
}
HOUSE_LATE_BIT = 6
WATER_LATE_BIT = 7
BITS = 9
assert set(BIT_OF) == set(GUARANTEES), "every guarantee has its bit"
# What the county's picture counts from the risk view: the guarantees the
# departments' facts assess (两不愁 is found at the home visit, not there).
PICTURED: tuple[str, ...] = tuple(g for g in GUARANTEES if g != "food_clothing")


def standard_bits(guarantees: Iterable[str], house_late: bool, water_late: bool = False) -> int:
    bits = sum(1 << BIT_OF[g] for g in guarantees)
    if house_late:
        bits |= 1 << HOUSE_LATE_BIT
    return bits | (1 << WATER_LATE_BIT) if water_late else bits


def fix_by(found_on: date, month_day: tuple[int, int]) -> date:
    """The day a problem found on ``found_on`` is to be fixed by: the
    policy's month and day on or after it (plan §3(2)3 and §3(2)5: the end
    of June)."""
    month, day = month_day
    deadline = date(found_on.year, month, day)
    return deadline if found_on <= deadline else date(found_on.year + 1, month, day)


def house_fix_by(rated_on: date, policy: Policy) -> date:
    """The day a house rated C or D on ``rated_on`` is to be fixed by (plan §3(2)3)."""
    return fix_by(rated_on, policy.house_fix_by)


# Why a dropout fails the guarantee (plan §3(2)1: none out of school *for
# poverty*); a reason the school does not know is taken as poverty until
# the visit says otherwise.
DROPOUT_FAILS = frozenset({"poverty", "unknown", None})


class Late(NamedTuple):
    """What is past its fix-by day (the county's picture reports both)."""

    house: bool = False
    water: bool = False


def guarantee_factors(found: Found, facts: Facts, policy: Policy, on: date) -> Late:
    """Adds a factor for each guarantee the facts say fails, for a registered
    or marginal household (a card); returns whether a C or D house and
    unsafe water are past their days."""
    if facts.card not in CARDS:
        return Late()
    dropped = [s for s in facts.schooling.values() if s.status == "dropped_out"]
    if dropped:
        # The reasons stay in the facts: "illness" or "disability" is a health
        # detail, and factors travel on povwatch.tasks and into lists: they
        # count those out for poverty and those whose reason is unknown.
        for_poverty = sum(1 for s in dropped if s.reason == "poverty")
        unknown = sum(1 for s in dropped if s.reason in ("unknown", None))
        failing = sum(1 for s in dropped if s.reason in DROPOUT_FAILS)
        found.add(
            "school_dropout",
            f"{len(dropped)} school-age member(s) out of school, {for_poverty} for poverty"
            + (f", {unknown} for a reason not known" if unknown else ""),
            severity=None if failing else "watch",
            dropped_out=len(dropped),
            for_poverty=for_poverty,
            reason_unknown=unknown,
        )
    lapsed = [c for c in facts.cover.values() if c.status == "lapsed"]
    if lapsed:
        found.add(
            "insurance_lapsed",
            f"{len(lapsed)} member(s) without basic medical insurance",
            lapsed=len(lapsed),
            year=max(c.year for c in lapsed),
        )
    overdue = False
    house = facts.house
    if house is not None and house.rating in ("C", "D"):
        house_by = house_fix_by(house.rated_on, policy)
        overdue = on > house_by
        found.add(
            "housing_unsafe",
            f"house rated {house.rating} on {house.rated_on}, to be fixed by {house_by}"
            + (" (overdue)" if overdue else ""),
            severity="critical" if house.rating == "D" else None,
            rating=house.rating,
            rated_on=house.rated_on,
            fix_by=house_by,
        )
    water = facts.water
    water_late = False
    if water is not None and not water.meets_standard:
        water_by = fix_by(water.checked_on, policy.water_fix_by)
        water_late = on > water_by
        found.add(
            "water_unsafe",
            f"drinking water fails the standard ({', '.join(water.failing)}), "
            f"to be made safe by {water_by}" + (" (overdue)" if water_late else ""),
            failing=",".join(water.failing),
            checked_on=water.checked_on,
            fix_by=water_by,
        )
    return Late(overdue, water_late)


def reimbursement_factor(found: Found, facts: Facts, policy: Policy, start: date, on: date) -> None:
    """A stay in the 12 months reimbursed below the plan's share (§3(2)2), for
    a registered household. The 80% is for a stay outside the county after a
    referral: one the department says was not referred has no share the plan
    guarantees, and one whose referral it does not say is taken as referred
    (the departments publish the stays they settle)."""
    if facts.card not in REGISTERED_CARDS:
        return
    worst: tuple[Decimal, Decimal, bool] | None = None  # shortfall, share, in county
    low = 0
    for stay in facts.illnesses:
        if stay.total_cost_yuan <= 0 or not start <= stay.occurred_on <= on:
            continue
        if stay.referred is False:
            continue
        share = stay.reimbursed_yuan / stay.total_cost_yuan
        required = (
            policy.reimbursement_in_county_ratio
            if stay.in_county
            else policy.reimbursement_referred_ratio
        )
        # Short by a fen at least: a settlement rounds its share to the fen.
        owed = (stay.total_cost_yuan * required).quantize(CENT, rounding=ROUND_HALF_UP)
        if stay.reimbursed_yuan < owed:
            low += 1
            if worst is None or required - share > worst[0]:
                worst = (required - share, share, stay.in_county)
    if worst is None:
        return
    _, share, in_county = worst
    required = (
        policy.reimbursement_in_county_ratio if in_county else policy.reimbursement_referred_ratio
    )
    found.add(
        "reimbursement_low",
        f"{low} hospital stay(s) reimbursed below the plan's share; the lowest "
        f"{_pct(share)} {'in the county' if in_county else 'after referral'} "
        f"(at least {_pct(required)})",
        stays=low,
        share=_pct(share),
        required=_pct(required),
    )


def safety_net_factor(
    found: Found, facts: Facts, policy: Policy, per_capita: Decimal | None, on: date
) -> None:
    """A registered household below the minimum-living line that gets neither
    the allowance nor extreme-poverty support (plan §3(2)6)."""
    if facts.card not in REGISTERED_CARDS or per_capita is None:
        return
    if per_capita >= policy.dibao_line_yuan:
        return
    if any(_paying(facts.assistance, scheme, on) for scheme in ("dibao", "tekun")):
        return
    found.add(
        "assistance_missing",
        f"per-capita income {per_capita} yuan is below the minimum-living line of "
        f"{policy.dibao_line_yuan} and the household gets no allowance",
        per_capita_income_yuan=per_capita,
        dibao_line_yuan=policy.dibao_line_yuan,
    )


def _paying(changes: list[Assistance], scheme: str, on: date) -> bool:
    """Whether the latest change of ``scheme`` on or before ``on`` pays."""
    latest = None
    for c in changes:
        if c.scheme == scheme and c.effective_from <= on:
            if latest is None or c.effective_from >= latest.effective_from:
                latest = c
    return latest is not None and latest.monthly_yuan is not None


def assistance_income(
    changes: list[Assistance], schemes: tuple[str, ...], lo: date, hi: date
) -> Decimal:
    """What the counted schemes paid over the days ``lo`` to ``hi`` (both
    included): each change's monthly amount from its day to the next change
    of the same scheme and person."""
    by_key: dict[tuple[str, str | None], list[Assistance]] = {}
    for c in changes:
        if c.scheme in schemes:
            by_key.setdefault((c.scheme, c.person_ref), []).append(c)
    total = Decimal(0)
    for spans in by_key.values():
        spans.sort(key=lambda c: c.effective_from)
        for k, c in enumerate(spans):
            if c.monthly_yuan is None:
                continue
            until = spans[k + 1].effective_from - ONE_DAY if k + 1 < len(spans) else hi
            days = (min(until, hi) - max(c.effective_from, lo)).days + 1
            if days > 0:
                total += c.monthly_yuan * Decimal(days) / DAYS_A_MONTH
    return total


def average_members(facts: Facts, lo: date, hi: date) -> Decimal:
    """Members over the days ``lo`` to ``hi`` (both included), each counted
    for the days they were one: the registration's count holds on its day;
    a change after it counts from its day, one before it until its day."""
    days = (hi - lo).days + 1
    base = facts.registered_members if facts.registered_on else facts.members
    person_days = base * days
    reg = facts.registered_on
    for c in facts.member_changes:
        if reg is None or c.effective_on > reg:
            # Counted from its day on.
            person_days += c.delta * _days(max(c.effective_on, lo), hi)
        else:
            # In the registration's count already: before its day it did not hold.
            person_days -= c.delta * _days(lo, min(c.effective_on - ONE_DAY, hi))
    return max(Decimal(person_days) / Decimal(days), Decimal(1))


def _days(first: date, last: date) -> int:
    """The days from ``first`` to ``last``, both included (0 when none)."""
    return max((last - first).days + 1, 0)


def _pct(ratio: Decimal) -> str:
    return f"{(ratio * 100).quantize(Decimal('0.1'))}%"
