"""The facts the risk assessment reads: a read model folded from a household's
events by pure functions.

The household aggregate (``domain.household``) decides whether a fact is
new; what the fact says is kept here, apart, so that ``domain.risk`` depends
on data, not on eventsourcing, and so that deciding never needs a household's
whole history in memory. Folding the same events always gives the same sheet:
the projection, a rebuild, the alerts and the API all read it this way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.countyday import day
from domain.household import FactRef, Household


# Slotted: in a county larger than the caches' objects, nearly every fact
# unpacks its household's sheet from a compact copy into these objects, and
# slotted ones are built faster and hold no dict of their own.
@dataclass(slots=True)
class Income:
    amount_yuan: Decimal
    period_start: date
    period_end: date
    kind: str


@dataclass(slots=True)
class Illness:
    person_ref: str
    severity: str
    total_cost_yuan: Decimal
    reimbursed_yuan: Decimal
    in_county: bool
    chronic_disease: str | None
    occurred_on: date
    # Outside the county only: None when the department does not say.
    referred: bool | None = None

    @property
    def self_paid_yuan(self) -> Decimal:
        return self.total_cost_yuan - self.reimbursed_yuan


@dataclass(slots=True)
class Disaster:
    kind: str
    loss_yuan: Decimal
    housing_damage: str
    occurred_on: date


@dataclass(slots=True)
class Job:
    status: str
    job_kind: str | None
    monthly_wage_yuan: Decimal | None
    since: datetime


@dataclass(slots=True)
class Loan:
    principal_yuan: Decimal
    due_date: date
    issued_on: date
    repaid_yuan: Decimal = Decimal(0)
    days_overdue: int = 0
    outstanding_yuan: Decimal | None = None

    @property
    def balance_yuan(self) -> Decimal:
        return max(self.principal_yuan - self.repaid_yuan, Decimal(0))

    @property
    def settled(self) -> bool:
        # A principal of 0 means the issue record has not arrived yet.
        return self.principal_yuan > 0 and self.balance_yuan == 0


@dataclass(slots=True)
class Schooling:
    """A school-age member's latest enrolment (plan §3(2)1)."""

    status: str  # enrolled, dropped_out, completed
    stage: str
    reason: str | None
    since: datetime


@dataclass(slots=True)
class Cover:
    """A member's latest medical-insurance status (plan §3(2)2)."""

    status: str  # enrolled, lapsed
    year: int
    since: datetime


@dataclass(slots=True)
class House:
    """The housing bureau's latest rating (plan §3(2)3)."""

    rating: str
    rated_on: date


@dataclass(slots=True)
class Water:
    """The latest drinking-water check (plan §3(2)5)."""

    supply: str
    meets_standard: bool
    failing: tuple[str, ...]
    checked_on: date


@dataclass(slots=True)
class Assistance:
    """One change of a social-assistance scheme (plan §3(2)6): from
    ``effective_from`` the scheme pays ``monthly_yuan`` (None: stopped), until
    the next change of the same scheme and person."""

    scheme: str
    person_ref: str | None
    monthly_yuan: Decimal | None
    effective_from: date


@dataclass(slots=True)
class MemberChange:
    """A member joining (+1) or leaving (-1) on a day."""

    person_ref: str
    delta: int
    able_to_work: bool
    effective_on: date


@dataclass(slots=True)
class Disability:
    """A member's latest disability certificate (the disabled persons'
    federation; plan §3(2)6): category and grade from a day, both None once
    cancelled. A health detail, read only by the roles that read households."""

    category: str | None
    grade: int | None
    effective_on: date

    @property
    def severe(self) -> bool:
        # Grades 1 and 2 are the severe ones (重度残疾), whom the care subsidy is for.
        return self.grade is not None and self.grade <= 2


@dataclass(slots=True)
class Facts:
    """What departments have said of a household, as the risk rules read it."""

    code: str
    registered: bool = False
    township: str | None = None
    village: str | None = None
    members: int = 0
    labour_capable: int = 0
    card: str | None = None
    flags: tuple[str, ...] = ()
    incomes: list[Income] = field(default_factory=list)
    illnesses: list[Illness] = field(default_factory=list)
    disasters: list[Disaster] = field(default_factory=list)
    jobs: dict[str, Job] = field(default_factory=dict)
    loans: dict[str, Loan] = field(default_factory=dict)
    # The registration's day: its member count holds from then on, changed by
    # the members' changes dated after it.
    registered_on: date | None = None
    registered_members: int = 0
    registered_labour: int = 0
    schooling: dict[str, Schooling] = field(default_factory=dict)
    cover: dict[str, Cover] = field(default_factory=dict)
    house: House | None = None
    water: Water | None = None
    assistance: list[Assistance] = field(default_factory=list)
    member_changes: list[MemberChange] = field(default_factory=list)
    # Added after the rest: packed last (services/households/packing.py).
    disabilities: dict[str, Disability] = field(default_factory=dict)
    # The card's last change (before it: None if unregistered), for 返贫/致贫.
    card_before: str | None = None
    card_changed_on: date | None = None


@dataclass(slots=True)
class FactSheet:
    """A household's facts as of one version of its stream.

    ``version`` lets a follower tell the next event from a gap (it then reads
    the stream); ``modified_on`` is when the last event was stored (an alert's
    trigger time); ``last_fact_at`` the latest time a fact says it happened."""

    id: UUID
    version: int
    created_on: datetime
    modified_on: datetime
    last_fact_at: datetime | None
    facts: Facts


def apply(sheet: FactSheet | None, event: Any) -> FactSheet:
    """The sheet after one more event of its stream (``None`` before the first).

    The caller keeps the order: each event is the next of its stream."""
    if sheet is None:
        # The stream opens with Opened, before or without any registration
        # (department screening finds people the registry missed).
        return FactSheet(
            event.originator_id,
            event.originator_version,
            event.timestamp,
            event.timestamp,
            None,
            Facts(code=event.code),
        )
    ref: FactRef | None = getattr(event, "ref", None)
    if ref is not None:
        _APPLY[type(event)](sheet.facts, event, ref)
        last = sheet.last_fact_at
        if last is None or ref.occurred_at > last:
            sheet.last_fact_at = ref.occurred_at
    sheet.version = event.originator_version
    sheet.modified_on = event.timestamp
    return sheet


def fold(events: Iterable[Any]) -> FactSheet | None:
    """The sheet of a stream from its events, oldest first (None: no events)."""
    sheet = None
    for event in events:
        sheet = apply(sheet, event)
    return sheet


def _registered(f: Facts, e: Household.Registered, ref: FactRef) -> None:
    f.registered = True
    f.township, f.village = e.township, e.village
    f.members, f.labour_capable = e.members, e.labour_capable
    _card_changed(f, e, ref)
    f.flags = tuple(e.flags or ())
    f.registered_on = day(ref.occurred_at)
    f.registered_members, f.registered_labour = e.members, e.labour_capable
    if f.member_changes:
        _count_members(f)


def _card_changed(f: Facts, e: Household.CardChanged | Household.Registered, ref: FactRef) -> None:
    if e.card != f.card:  # a registration repeating the card is no change
        f.card_before, f.card_changed_on = f.card, day(ref.occurred_at)
    f.card = e.card


def _income(f: Facts, e: Household.IncomeReported, _: FactRef) -> None:
    f.incomes.append(Income(e.amount_yuan, e.period_start, e.period_end, e.kind))


def _illness(f: Facts, e: Household.IllnessReported, ref: FactRef) -> None:
    f.illnesses.append(
        Illness(
            e.person_ref,
            e.severity,
            e.total_cost_yuan,
            e.reimbursed_yuan,
            e.in_county,
            e.chronic_disease,
            day(ref.occurred_at),
            e.referred,
        )
    )


def _disaster(f: Facts, e: Household.DisasterReported, ref: FactRef) -> None:
    f.disasters.append(Disaster(e.kind, e.loss_yuan, e.housing_damage, day(ref.occurred_at)))


def _employment(f: Facts, e: Household.EmploymentChanged, ref: FactRef) -> None:
    current = f.jobs.get(e.person_ref)
    # Out-of-order delivery: an older report never overrides a newer one.
    if current is None or ref.occurred_at >= current.since:
        f.jobs[e.person_ref] = Job(e.status, e.job_kind, e.monthly_wage_yuan, ref.occurred_at)


def _loan_issued(f: Facts, e: Household.LoanIssued, ref: FactRef) -> None:
    loan = f.loans.get(e.loan_id)
    if loan is None:
        f.loans[e.loan_id] = Loan(e.principal_yuan, e.due_date, day(ref.occurred_at))
    else:  # repayments or arrears reported before the issue itself
        loan.principal_yuan, loan.due_date = e.principal_yuan, e.due_date
        loan.issued_on = day(ref.occurred_at)


def _loan_repaid(f: Facts, e: Household.LoanRepaid, ref: FactRef) -> None:
    loan = _loan(f, e.loan_id, ref)
    loan.repaid_yuan += e.amount_yuan
    if loan.settled:
        loan.days_overdue = 0
        loan.outstanding_yuan = Decimal(0)


def _loan_overdue(f: Facts, e: Household.LoanOverdue, ref: FactRef) -> None:
    loan = _loan(f, e.loan_id, ref)
    loan.days_overdue = max(loan.days_overdue, e.days_overdue)
    loan.outstanding_yuan = e.outstanding_yuan


def _loan(f: Facts, loan_id: str, ref: FactRef) -> Loan:
    loan = f.loans.get(loan_id)
    if loan is None:
        # The bank's issue record has not arrived yet: keep what we know.
        loan = Loan(Decimal(0), day(ref.occurred_at), day(ref.occurred_at))
        f.loans[loan_id] = loan
    return loan


def _schooling(f: Facts, e: Household.SchoolingReported, ref: FactRef) -> None:
    current = f.schooling.get(e.person_ref)
    if current is None or ref.occurred_at >= current.since:
        f.schooling[e.person_ref] = Schooling(e.status, e.stage, e.reason, ref.occurred_at)


def _insurance(f: Facts, e: Household.InsuranceChanged, ref: FactRef) -> None:
    current = f.cover.get(e.person_ref)
    # The later year decides; within a year, the later report.
    if current is None or (e.year, ref.occurred_at) >= (current.year, current.since):
        f.cover[e.person_ref] = Cover(e.status, e.year, ref.occurred_at)


def _housing(f: Facts, e: Household.HousingRated, _: FactRef) -> None:
    if f.house is None or e.rated_on >= f.house.rated_on:
        f.house = House(e.rating, e.rated_on)


def _water(f: Facts, e: Household.WaterChecked, ref: FactRef) -> None:
    on = day(ref.occurred_at)
    if f.water is None or on >= f.water.checked_on:
        f.water = Water(e.supply, e.meets_standard, tuple(e.failing or ()), on)


def _assistance(f: Facts, e: Household.AssistanceChanged, _: FactRef) -> None:
    monthly = None if e.status == "stopped" else e.monthly_yuan
    f.assistance.append(Assistance(e.scheme, e.person_ref, monthly, e.effective_from))


def _members(f: Facts, e: Household.MembersChanged, _: FactRef) -> None:
    delta = 1 if e.change in ("birth", "move_in") else -1
    f.member_changes.append(MemberChange(e.person_ref, delta, e.able_to_work, e.effective_on))
    _count_members(f)


def _count_members(f: Facts) -> None:
    """Today's members and labour: the registration's, changed by what
    happened after its day (a change dated before it is in its count)."""
    if f.registered_on is None:
        return
    after = [c for c in f.member_changes if c.effective_on > f.registered_on]
    f.members = max(f.registered_members + sum(c.delta for c in after), 0)
    f.labour_capable = max(f.registered_labour + sum(c.delta for c in after if c.able_to_work), 0)


def _disability(f: Facts, e: Household.DisabilityChanged, _: FactRef) -> None:
    current = f.disabilities.get(e.person_ref)
    # The later certificate decides, whatever order the federation sends them in.
    if current is None or e.effective_on >= current.effective_on:
        grade = None if e.status == "cancelled" else e.grade
        category = None if e.status == "cancelled" else e.category
        f.disabilities[e.person_ref] = Disability(category, grade, e.effective_on)


# One entry for each fact event of the household; a test checks that none is missing.
_APPLY: dict[type[Any], Callable[[Facts, Any, FactRef], None]] = {
    Household.Registered: _registered,
    Household.CardChanged: _card_changed,
    Household.IncomeReported: _income,
    Household.IllnessReported: _illness,
    Household.DisasterReported: _disaster,
    Household.EmploymentChanged: _employment,
    Household.LoanIssued: _loan_issued,
    Household.LoanRepaid: _loan_repaid,
    Household.LoanOverdue: _loan_overdue,
    Household.SchoolingReported: _schooling,
    Household.InsuranceChanged: _insurance,
    Household.HousingRated: _housing,
    Household.WaterChecked: _water,
    Household.AssistanceChanged: _assistance,
    Household.MembersChanged: _members,
    Household.DisabilityChanged: _disability,
}
