"""The department event contract (topic ``povwatch.events``, schema_version 1).

Every message is an envelope whose ``type`` selects the shape of ``data``.
Money is exact (Decimal, at most 2 places), never float. Unknown fields are
refused so that a misspelt field is reported rather than silently dropped.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal, cast, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from domain.vocabulary import Card
from schemas.standard import (
    AssistanceChange,
    HousingRating,
    InsuranceChange,
    MembersChange,
    SchoolingReport,
    WaterCheck,
)
from schemas.values import (
    Code,
    Data,
    Day,
    Moment,
    Money,
    PersonName,
    PositiveMoney,
    Ref,
    Text,
)

SCHEMA_VERSION = 1

Flag = Literal["relocated", "dibao", "five_guarantee", "disabled"]


class Registration(Data):
    township: Text
    village: Text
    members: int = Field(ge=1, le=50, strict=True)
    labour_capable: int = Field(ge=0, le=50, strict=True)
    card: Card
    flags: list[Flag] = Field(default_factory=list, max_length=4)
    # The head of household (户主姓名), for the village notice alone: taken
    # out and sealed at ingest, never stored in the event (services/households/names.py).
    head_name: PersonName | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _labour_within_members(self) -> Registration:
        if self.labour_capable > self.members:
            raise ValueError("labour_capable cannot exceed members")
        return self


class CardChange(Data):
    card: Card
    reason: Text


class IncomeReport(Data):
    amount_yuan: Money
    period_start: Day
    period_end: Day
    kind: Literal["wage", "agriculture", "business", "property", "transfer", "other"]

    @model_validator(mode="after")
    def _period_in_order(self) -> IncomeReport:
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


class IllnessReport(Data):
    person_ref: Ref
    severity: Literal["major", "chronic", "minor"]
    total_cost_yuan: Money
    reimbursed_yuan: Money
    in_county: bool = Field(strict=True)
    chronic_disease: (
        Literal["hypertension", "diabetes", "tuberculosis", "severe_mental_illness"] | None
    ) = None
    # A stay outside the county: whether it followed a referral (转诊), which
    # the plan's 80% is for (§3(2)2). Absent: the department does not say.
    referred: bool | None = Field(default=None, strict=True)

    @model_validator(mode="after")
    def _reimbursed_within_total(self) -> IllnessReport:
        if self.reimbursed_yuan > self.total_cost_yuan:
            raise ValueError("reimbursed_yuan exceeds total_cost_yuan")
        if self.in_county and self.referred is not None:
            raise ValueError("referred is for a stay outside the county (in_county is false)")
        return self


class DisasterReport(Data):
    kind: Literal["flood", "drought", "fire", "storm", "geological", "accident", "other"]
    loss_yuan: Money
    housing_damage: Literal["none", "C", "D"]


class EmploymentChange(Data):
    person_ref: Ref
    status: Literal["employed", "unemployed"]
    job_kind: (
        Literal["local", "migrant", "workshop", "public_welfare_post", "self_employed"] | None
    ) = None
    monthly_wage_yuan: Money | None = None


class LoanIssue(Data):
    loan_id: Ref
    principal_yuan: PositiveMoney
    due_date: Day


class LoanRepayment(Data):
    loan_id: Ref
    amount_yuan: PositiveMoney


class LoanArrears(Data):
    loan_id: Ref
    days_overdue: int = Field(ge=1, le=36500, strict=True)
    outstanding_yuan: Money


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: Code
    household_id: Code
    occurred_at: Moment
    source: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,39}$")]
    schema_version: Literal[1]

    def digest(self) -> str:
        """A digest of the content, blind to formatting (12.3 == 12.30, key
        order, spaces): the model's own JSON, whose field order is fixed."""
        body = self.model_dump_json(exclude={"event_id", "source"})
        return hashlib.blake2b(body.encode(), digest_size=16).hexdigest()


class HouseholdRegistered(_Envelope):
    type: Literal["household.registered"]
    data: Registration


class HouseholdCardChanged(_Envelope):
    type: Literal["household.card_changed"]
    data: CardChange


class IncomeReported(_Envelope):
    type: Literal["income.reported"]
    data: IncomeReport


class IllnessReported(_Envelope):
    type: Literal["illness.reported"]
    data: IllnessReport


class DisasterReported(_Envelope):
    type: Literal["disaster.reported"]
    data: DisasterReport


class EmploymentChanged(_Envelope):
    type: Literal["employment.changed"]
    data: EmploymentChange


class LoanIssued(_Envelope):
    type: Literal["loan.issued"]
    data: LoanIssue


class LoanRepaid(_Envelope):
    type: Literal["loan.repaid"]
    data: LoanRepayment


class LoanOverdue(_Envelope):
    type: Literal["loan.overdue"]
    data: LoanArrears


class SchoolingReported(_Envelope):
    type: Literal["schooling.reported"]
    data: SchoolingReport


class InsuranceChanged(_Envelope):
    type: Literal["insurance.changed"]
    data: InsuranceChange


class HousingRated(_Envelope):
    type: Literal["housing.rated"]
    data: HousingRating


class WaterChecked(_Envelope):
    type: Literal["water.checked"]
    data: WaterCheck


class AssistanceChanged(_Envelope):
    type: Literal["assistance.changed"]
    data: AssistanceChange


class MembersChanged(_Envelope):
    type: Literal["household.members_changed"]
    data: MembersChange


DepartmentEvent = Annotated[
    HouseholdRegistered
    | HouseholdCardChanged
    | IncomeReported
    | IllnessReported
    | DisasterReported
    | EmploymentChanged
    | LoanIssued
    | LoanRepaid
    | LoanOverdue
    | SchoolingReported
    | InsuranceChanged
    | HousingRated
    | WaterChecked
    | AssistanceChanged
    | MembersChanged,
    Field(discriminator="type"),
]
EVENT_MODELS: dict[str, type[_Envelope]] = {
    get_args(m.model_fields["type"].annotation)[0]: m
    for m in get_args(get_args(DepartmentEvent)[0])
}
event_adapter: TypeAdapter[Any] = TypeAdapter(DepartmentEvent)

MAX_MESSAGE_BYTES = 64 * 1024


class Rejection(Exception):
    """A message that cannot be stored, with machine-readable reasons."""

    def __init__(self, code: str, errors: list[dict[str, str]]) -> None:
        self.code = code
        self.errors = errors
        super().__init__(f"{code}: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors))

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "errors": self.errors}


def parse_event(raw: bytes | str) -> _Envelope:
    """Validates one message; raises Rejection naming each bad field."""
    if isinstance(raw, str):
        raw = raw.encode()
    if len(raw) > MAX_MESSAGE_BYTES:
        raise Rejection(
            "too_large",
            [
                {
                    "field": "",
                    "type": "too_large",
                    "message": f"message over {MAX_MESSAGE_BYTES} bytes",
                }
            ],
        )
    try:
        return cast(_Envelope, event_adapter.validate_json(raw))
    except ValidationError as e:
        raise _rejection(e) from None


def parse_object(obj: dict[str, Any]) -> _Envelope:
    """Validates an already-decoded message (CSV and XLSX rows)."""
    try:
        return cast(_Envelope, event_adapter.validate_python(obj))
    except ValidationError as e:
        raise _rejection(e) from None


def _rejection(e: ValidationError) -> Rejection:
    errors = []
    code = "invalid"
    for err in e.errors(include_url=False, include_input=False):
        loc = [str(p) for p in err["loc"]]
        kind = err["type"]
        if kind in ("json_invalid", "json_type"):
            code = "bad_json"
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            loc = ["type"]
            code = "unknown_type" if kind == "union_tag_invalid" else code
        elif loc and loc[0] in EVENT_MODELS:
            loc = loc[1:]  # drop the discriminator's branch name
        errors.append({"field": ".".join(loc), "type": kind, "message": err["msg"]})
    return Rejection(code, errors)
