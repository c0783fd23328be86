"""The household aggregate: one event stream per registry household code.

Each department fact becomes one domain event on the household's stream. The
``@event`` methods only change state; deciding whether a fact is new, a
duplicate or a conflict happens in ``Household.receive`` (a command) before
any event is triggered.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, SafeUUID

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import get_topic

CARDS = ("red", "yellow", "green", "blue")

# uuid5(NAMESPACE_URL, "/povwatch/households/" + code), with the hash of the
# common prefix taken once: ids are made for every message, and uuid5 spent
# half its time on the prefix and its checks.
_ID_PREFIX = hashlib.sha1(NAMESPACE_URL.bytes + b"/povwatch/households/")
# UUID(bytes=..., version=5) checks its arguments and sets the version bits
# one step at a time (0.8 µs of its 1.8); the same bits set at once, stored
# in the two slots the constructor fills. Counties past the ingester's memo
# of ids make one for nearly every message.
_ID_KEEP = ~((0xC000 << 48) | (0xF000 << 64)) & ((1 << 128) - 1)
_ID_SET = (0x8000 << 48) | (5 << 76)  # RFC 4122 variant, version 5
# The slots' own setters: object.__setattr__ looks each name up (0.95 µs an
# id with these, 1.5 with it).
_SET_INT, _SET_SAFE = UUID.int.__set__, UUID.is_safe.__set__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class FactRef:
    """Where a fact came from: the department's idempotency key and a digest
    of its content, so a re-delivery can be told from a conflicting one."""

    source: str
    event_id: str
    occurred_at: datetime
    digest: str

    @property
    def key(self) -> str:
        return receipt_key(self.source, self.event_id)


def receipt_key(source: str, event_id: str) -> str:
    return f"{source}/{event_id}"


def is_known(receipts: dict[str, str], ref: FactRef) -> bool:
    """True for a re-delivery of a stored fact; raises Conflict when the key
    is known with other content."""
    stored = receipts.get(ref.key)
    if stored is None:
        return False
    if stored != ref.digest:
        raise Conflict(ref, stored)
    return True


@dataclass
class Income:
    amount_yuan: Decimal
    period_start: date
    period_end: date
    kind: str


@dataclass
class Illness:
    person_ref: str
    severity: str
    total_cost_yuan: Decimal
    reimbursed_yuan: Decimal
    in_county: bool
    chronic_disease: str | None
    occurred_on: date

    @property
    def self_paid_yuan(self) -> Decimal:
        return self.total_cost_yuan - self.reimbursed_yuan


@dataclass
class Disaster:
    kind: str
    loss_yuan: Decimal
    housing_damage: str
    occurred_on: date


@dataclass
class Job:
    status: str
    job_kind: str | None
    monthly_wage_yuan: Decimal | None
    since: datetime


@dataclass
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


class Conflict(Exception):
    """The same (source, event_id) arrived again with different content."""

    def __init__(self, ref: FactRef, stored_digest: str) -> None:
        super().__init__(
            f"event {ref.key} was already stored with different content "
            f"(stored digest {stored_digest[:12]}, new {ref.digest[:12]})"
        )
        self.ref = ref


@dataclass
class Facts:
    """The facts the risk assessment reads; kept apart from the aggregate's
    bookkeeping so that ``domain.risk`` depends on data, not on eventsourcing."""

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


class Household(Aggregate):
    """A household's history as told by departments."""

    @staticmethod
    def create_id(code: str) -> UUID:
        h = _ID_PREFIX.copy()
        h.update(code.encode())
        uid = object.__new__(UUID)
        _SET_INT(uid, int.from_bytes(h.digest()[:16]) & _ID_KEEP | _ID_SET)
        _SET_SAFE(uid, SafeUUID.unknown)
        return uid

    @event("Opened")
    def __init__(self, code: str) -> None:
        # A stream may open before the registry speaks: it stays unregistered
        # until a registration arrives (department screening finds people the
        # registry missed).
        self.facts = Facts(code=code)
        self.receipts: dict[str, str] = {}
        self.last_fact_at: datetime | None = None

    # -- commands ---------------------------------------------------------

    def receive(self, kind: str, ref: FactRef, data: dict) -> bool:
        """Records one department fact; returns False when it was already stored."""
        if is_known(self.receipts, ref):
            return False
        handler = getattr(self, _COMMANDS[kind])
        handler(ref=ref, **data)
        return True

    # -- events (state changes only) --------------------------------------

    def _receipt(self, ref: FactRef) -> None:
        self.receipts[ref.key] = ref.digest
        if self.last_fact_at is None or ref.occurred_at > self.last_fact_at:
            self.last_fact_at = ref.occurred_at

    @event("Registered")
    def register(
        self,
        ref: FactRef,
        township: str,
        village: str,
        members: int,
        labour_capable: int,
        card: str,
        flags: list[str] | None = None,
    ) -> None:
        self._receipt(ref)
        f = self.facts
        f.registered = True
        f.township, f.village = township, village
        f.members, f.labour_capable = members, labour_capable
        f.card = card
        f.flags = tuple(flags or ())

    @event("CardChanged")
    def change_card(self, ref: FactRef, card: str, reason: str) -> None:
        self._receipt(ref)
        self.facts.card = card

    @event("IncomeReported")
    def report_income(
        self,
        ref: FactRef,
        amount_yuan: Decimal,
        period_start: date,
        period_end: date,
        kind: str,
    ) -> None:
        self._receipt(ref)
        self.facts.incomes.append(Income(amount_yuan, period_start, period_end, kind))

    @event("IllnessReported")
    def report_illness(
        self,
        ref: FactRef,
        person_ref: str,
        severity: str,
        total_cost_yuan: Decimal,
        reimbursed_yuan: Decimal,
        in_county: bool,
        chronic_disease: str | None = None,
    ) -> None:
        self._receipt(ref)
        self.facts.illnesses.append(
            Illness(
                person_ref,
                severity,
                total_cost_yuan,
                reimbursed_yuan,
                in_county,
                chronic_disease,
                ref.occurred_at.date(),
            )
        )

    @event("DisasterReported")
    def report_disaster(
        self, ref: FactRef, kind: str, loss_yuan: Decimal, housing_damage: str
    ) -> None:
        self._receipt(ref)
        self.facts.disasters.append(
            Disaster(kind, loss_yuan, housing_damage, ref.occurred_at.date())
        )

    @event("EmploymentChanged")
    def change_employment(
        self,
        ref: FactRef,
        person_ref: str,
        status: str,
        job_kind: str | None = None,
        monthly_wage_yuan: Decimal | None = None,
    ) -> None:
        self._receipt(ref)
        current = self.facts.jobs.get(person_ref)
        # Out-of-order delivery: an older report never overrides a newer one.
        if current is None or ref.occurred_at >= current.since:
            self.facts.jobs[person_ref] = Job(status, job_kind, monthly_wage_yuan, ref.occurred_at)

    @event("LoanIssued")
    def issue_loan(
        self, ref: FactRef, loan_id: str, principal_yuan: Decimal, due_date: date
    ) -> None:
        self._receipt(ref)
        loan = self.facts.loans.get(loan_id)
        if loan is None:
            self.facts.loans[loan_id] = Loan(principal_yuan, due_date, ref.occurred_at.date())
        else:  # repayments or arrears reported before the issue itself
            loan.principal_yuan, loan.due_date = principal_yuan, due_date
            loan.issued_on = ref.occurred_at.date()

    @event("LoanRepaid")
    def repay_loan(self, ref: FactRef, loan_id: str, amount_yuan: Decimal) -> None:
        self._receipt(ref)
        loan = self._loan(loan_id, ref)
        loan.repaid_yuan += amount_yuan
        if loan.settled:
            loan.days_overdue = 0
            loan.outstanding_yuan = Decimal(0)

    @event("LoanOverdue")
    def mark_loan_overdue(
        self,
        ref: FactRef,
        loan_id: str,
        days_overdue: int,
        outstanding_yuan: Decimal,
    ) -> None:
        self._receipt(ref)
        loan = self._loan(loan_id, ref)
        loan.days_overdue = max(loan.days_overdue, days_overdue)
        loan.outstanding_yuan = outstanding_yuan

    def _loan(self, loan_id: str, ref: FactRef) -> Loan:
        loan = self.facts.loans.get(loan_id)
        if loan is None:
            # The bank's issue record has not arrived yet: keep what we know.
            loan = Loan(Decimal(0), ref.occurred_at.date(), ref.occurred_at.date())
            self.facts.loans[loan_id] = loan
        return loan


# Message type -> (command method, its event). The types match the message contract.
_KINDS = {
    "household.registered": ("register", Household.Registered),
    "household.card_changed": ("change_card", Household.CardChanged),
    "income.reported": ("report_income", Household.IncomeReported),
    "illness.reported": ("report_illness", Household.IllnessReported),
    "disaster.reported": ("report_disaster", Household.DisasterReported),
    "employment.changed": ("change_employment", Household.EmploymentChanged),
    "loan.issued": ("issue_loan", Household.LoanIssued),
    "loan.repaid": ("repay_loan", Household.LoanRepaid),
    "loan.overdue": ("mark_loan_overdue", Household.LoanOverdue),
}
_COMMANDS = {kind: method for kind, (method, _) in _KINDS.items()}
_EVENTS = {kind: cls for kind, (_, cls) in _KINDS.items()}
_TOPIC = get_topic(Household)
FACT_TYPES = tuple(_KINDS)


class Head:
    """The end of a household's stream: all that deciding on a new fact
    needs, its version and its receipts.

    Appending needs no more of the household than this (a fact is new, a
    re-delivery or a conflict by its receipt alone), so ingestion appends
    through a Head and never replays a stream: a household out of memory is
    read back as its receipts. The events are the Household's own, built as
    its ``@event`` methods build them, so folding the stream gives the same
    aggregate either way.
    """

    __slots__ = ("id", "code", "version", "receipts", "pending")

    def __init__(
        self,
        code: str,
        version: int = 0,
        receipts: dict[str, str] | None = None,
        id: UUID | None = None,
    ) -> None:
        self.id = id or Household.create_id(code)
        self.code = code
        self.version = version  # 0: the stream is not opened yet
        self.receipts = receipts if receipts is not None else {}
        self.pending: list = []

    def receive(self, kind: str, ref: FactRef, data: dict) -> bool:
        """As ``Household.receive``: False when the fact was already stored."""
        event_class = _EVENTS[kind]
        if is_known(self.receipts, ref):
            return False
        if self.version == 0:
            self._append(Household.Opened, originator_topic=_TOPIC, code=self.code)
        self._append(event_class, ref=ref, **data)
        self.receipts[ref.key] = ref.digest
        return True

    def _append(self, event_class: type, **kwargs: object) -> None:
        self.version += 1
        self.pending.append(
            event_class(
                originator_id=self.id,
                originator_version=self.version,
                timestamp=event_class.create_timestamp(),
                **kwargs,
            )
        )

    def collect_events(self) -> list:
        events, self.pending = self.pending, []
        return events
