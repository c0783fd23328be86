"""The household aggregate: one event stream per registry household code.

The aggregate is the write model: it holds what deciding on a new fact needs,
its code, its version and its receipts (a fact is new, a re-delivery or a
conflict by its receipt alone). ``Household.receive`` is the one command that
appends to a stream; the library makes each event and applies it, and an
event's ``apply`` only records its receipt. What the facts say is a read
model folded from the same events (``domain.facts``).

The events' class names and attributes are stored with them (their topics
are ``domain.household:Household.<name>``): renaming one orphans stored
streams.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

CARDS = ("red", "yellow", "green", "blue")


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


class ReceiptBook(Protocol):
    """The receipts a household holds: the digest stored under each key.

    A plain dict is one; the store's adapters may keep a compact form that
    raises, rather than answer, when it no longer holds a digest."""

    def get(self, key: str, default: None = None, /) -> str | None: ...

    def __setitem__(self, key: str, digest: str, /) -> None: ...


class Conflict(Exception):
    """The same (source, event_id) arrived again with different content."""

    def __init__(self, ref: FactRef, stored_digest: str) -> None:
        super().__init__(
            f"event {ref.key} was already stored with different content "
            f"(stored digest {stored_digest[:12]}, new {ref.digest[:12]})"
        )
        self.ref = ref


def is_known(receipts: ReceiptBook, ref: FactRef) -> bool:
    """True for a re-delivery of a stored fact; raises Conflict when the key
    is known with other content."""
    stored = receipts.get(ref.key)
    if stored is None:
        return False
    if stored != ref.digest:
        raise Conflict(ref, stored)
    return True


class Household(Aggregate):
    """A household's stream, as far as appending to it goes."""

    @staticmethod
    def create_id(code: str) -> UUID:
        # Stored streams are keyed by these ids: a change would orphan them.
        return uuid5(NAMESPACE_URL, f"/povwatch/households/{code}")

    class Opened(Aggregate.Created):
        code: str

    def __init__(self, code: str) -> None:
        # A stream may open before the registry speaks: it stays unregistered
        # until a registration arrives (department screening finds people the
        # registry missed).
        self.code = code
        self.receipts: ReceiptBook = {}

    @classmethod
    def open(cls, code: str, id: UUID | None = None) -> Household:
        """A new stream; ``id``, when the caller has it, is ``create_id(code)``."""
        return cls._create(cls.Opened, id=id or cls.create_id(code), code=code)

    # -- the command --------------------------------------------------------

    def receive(self, kind: str, ref: FactRef, data: dict[str, Any]) -> bool:
        """Records one department fact (``kind`` a message type of the
        contract, ``data`` its fields); False when it was already stored."""
        event_class = EVENTS[kind]
        if is_known(self.receipts, ref):
            return False
        self.trigger_event(event_class, ref=ref, **data)
        return True

    # -- events (state changes only) ----------------------------------------

    class FactEvent(Aggregate.Event):
        """A department fact: every one leaves its receipt, nothing else here."""

        ref: FactRef

        def apply(self, aggregate: Any) -> None:
            aggregate.receipts[self.ref.key] = self.ref.digest

    class Registered(FactEvent):
        township: str
        village: str
        members: int
        labour_capable: int
        card: str
        flags: list[str] | None = None

    class CardChanged(FactEvent):
        card: str
        reason: str

    class IncomeReported(FactEvent):
        amount_yuan: Decimal
        period_start: date
        period_end: date
        kind: str

    class IllnessReported(FactEvent):
        person_ref: str
        severity: str
        total_cost_yuan: Decimal
        reimbursed_yuan: Decimal
        in_county: bool
        chronic_disease: str | None = None
        referred: bool | None = None

    class DisasterReported(FactEvent):
        kind: str
        loss_yuan: Decimal
        housing_damage: str

    class EmploymentChanged(FactEvent):
        person_ref: str
        status: str
        job_kind: str | None = None
        monthly_wage_yuan: Decimal | None = None

    class LoanIssued(FactEvent):
        loan_id: str
        principal_yuan: Decimal
        due_date: date

    class LoanRepaid(FactEvent):
        loan_id: str
        amount_yuan: Decimal

    class LoanOverdue(FactEvent):
        loan_id: str
        days_overdue: int
        outstanding_yuan: Decimal

    # The guarantees' departments (plan §3(2)) and the members' changes.

    class SchoolingReported(FactEvent):
        person_ref: str
        status: str
        stage: str
        reason: str | None = None

    class InsuranceChanged(FactEvent):
        person_ref: str
        status: str
        year: int

    class HousingRated(FactEvent):
        rating: str
        rated_on: date

    class WaterChecked(FactEvent):
        supply: str
        meets_standard: bool
        failing: list[str] | None = None

    class AssistanceChanged(FactEvent):
        scheme: str
        status: str
        effective_from: date
        monthly_yuan: Decimal | None = None
        person_ref: str | None = None

    class MembersChanged(FactEvent):
        change: str
        person_ref: str
        effective_on: date
        able_to_work: bool = False

    class DisabilityChanged(FactEvent):
        person_ref: str
        status: str
        effective_on: date
        category: str | None = None
        grade: int | None = None


# Message type -> its event. The types match the message contract.
EVENTS: dict[str, type[Household.FactEvent]] = {
    "household.registered": Household.Registered,
    "household.card_changed": Household.CardChanged,
    "income.reported": Household.IncomeReported,
    "illness.reported": Household.IllnessReported,
    "disaster.reported": Household.DisasterReported,
    "employment.changed": Household.EmploymentChanged,
    "loan.issued": Household.LoanIssued,
    "loan.repaid": Household.LoanRepaid,
    "loan.overdue": Household.LoanOverdue,
    "schooling.reported": Household.SchoolingReported,
    "insurance.changed": Household.InsuranceChanged,
    "housing.rated": Household.HousingRated,
    "water.checked": Household.WaterChecked,
    "assistance.changed": Household.AssistanceChanged,
    "household.members_changed": Household.MembersChanged,
    "disability.changed": Household.DisabilityChanged,
}
FACT_TYPES = tuple(EVENTS)
