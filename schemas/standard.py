"""The data of the messages from the departments that own the standard's
guarantees (plan §3(1): 两不愁三保障 and safe water; §3(2) names each
department): schooling, medical insurance, housing, water, social assistance,
the household's members changing, and a member's disability certificate
(the disabled persons' federation, plan §3(2)6)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from schemas.values import EARLIEST, LATEST, Data, Day, PositiveMoney, Ref

# People are named by the department's opaque reference only.
SchoolStatus = Literal["enrolled", "dropped_out", "completed"]
# "unknown": the school has not found out why (counted as for poverty, plan §3(2)1).
DropoutReason = Literal["poverty", "illness", "disability", "weariness", "work", "other", "unknown"]


class SchoolingReport(Data):
    """A school-age member's enrolment in compulsory education (plan §3(2)1);
    ``completed``: finished compulsory schooling or past its age."""

    person_ref: Ref
    status: SchoolStatus
    stage: Literal["primary", "junior_secondary"]
    reason: DropoutReason | None = None

    @model_validator(mode="after")
    def _reason_with_dropout(self) -> SchoolingReport:
        if (self.status == "dropped_out") != (self.reason is not None):
            raise ValueError("reason is given for a dropout, and only for one")
        return self


class InsuranceChange(Data):
    """A member's basic medical insurance for a year (plan §3(2)2: 100%)."""

    person_ref: Ref
    status: Literal["enrolled", "lapsed"]
    year: int = Field(ge=EARLIEST.year, le=LATEST.year, strict=True)


class HousingRating(Data):
    """The housing bureau's safety rating of the household's house (plan §3(2)3)."""

    rating: Literal["A", "B", "C", "D"]
    rated_on: Day


WaterProblem = Literal["quality", "quantity", "access"]


class WaterCheck(Data):
    """A drinking-water check (plan §3(2)5): what fails when it fails."""

    supply: Literal["central", "dispersed"]
    meets_standard: bool = Field(strict=True)
    failing: list[WaterProblem] = Field(default_factory=list, max_length=3)

    @model_validator(mode="after")
    def _failing_when_not_met(self) -> WaterCheck:
        if self.meets_standard == bool(self.failing):
            raise ValueError(
                "failing lists what fails when, and only when, the standard is not met"
            )
        if len(set(self.failing)) != len(self.failing):
            raise ValueError("failing names each problem once")
        return self


AssistanceScheme = Literal["dibao", "tekun", "disability_living", "disability_care"]
PERSONAL_SCHEMES = ("disability_living", "disability_care")  # per person, the rest per household


class AssistanceChange(Data):
    """Civil affairs' social assistance (plan §3(2)6): the minimum-living
    allowance (低保) and extreme-poverty support (特困) per household, the two
    disability subsidies per person; the monthly amount from a date."""

    scheme: AssistanceScheme
    status: Literal["granted", "changed", "stopped"]
    effective_from: Day
    monthly_yuan: PositiveMoney | None = None
    person_ref: Ref | None = None

    @model_validator(mode="after")
    def _amount_and_person(self) -> AssistanceChange:
        if (self.status == "stopped") != (self.monthly_yuan is None):
            raise ValueError("monthly_yuan is given when granted or changed, not when stopped")
        if (self.scheme in PERSONAL_SCHEMES) != (self.person_ref is not None):
            raise ValueError("person_ref names the member for a disability subsidy, and only then")
        return self


class MembersChange(Data):
    """A member joining or leaving the household on a day: per-capita income
    counts each member for the time they were one."""

    change: Literal["birth", "death", "move_in", "move_out"]
    person_ref: Ref
    effective_on: Day
    able_to_work: bool = Field(default=False, strict=True)

    @model_validator(mode="after")
    def _newborn_cannot_work(self) -> MembersChange:
        if self.change == "birth" and self.able_to_work:
            raise ValueError("a newborn is not able to work")
        return self


# The certificate's categories (残疾人证: 视力、听力、言语、肢体、智力、精神、多重).
DisabilityCategory = Literal[
    "visual", "hearing", "speech", "physical", "intellectual", "mental", "multiple"
]


class DisabilityChange(Data):
    """A member's disability certificate (残疾人证) as the disabled persons'
    federation holds it: its category and grade (1 the most severe, 4 the
    least) from a day, or its cancellation. A health detail: it stays in the
    household's facts, read only by the roles that read households."""

    person_ref: Ref
    status: Literal["certified", "changed", "cancelled"]
    effective_on: Day
    category: DisabilityCategory | None = None
    grade: int | None = Field(default=None, ge=1, le=4, strict=True)

    @model_validator(mode="after")
    def _certificate_named(self) -> DisabilityChange:
        if (self.status == "cancelled") != (self.category is None and self.grade is None):
            raise ValueError(
                "category and grade are given when certified or changed, and not when cancelled"
            )
        if (self.category is None) != (self.grade is None):
            raise ValueError("category and grade are given together")
        return self
