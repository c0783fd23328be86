"""The monitoring procedure as data: a case's stages, who acts at each, and
its deadlines (loaded from the procedure file, services/defaults/procedure.yaml,
which cites the practice each default comes from).

The stages themselves and their order are fixed here; the file chooses which
stages a kind of case goes through, who does each, and how long each may take.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from domain.workdays import Due, Official, WorkCalendar

Stage = Literal[
    "verify",  # 入户核实: home verification
    "crosscheck",  # 信息比对: the departments' data beside the visit's findings
    "village_review",  # 民主评议: the village meeting
    "notice",  # 村级公示: the village notice
    "township_review",  # 乡镇审核
    "county_decision",  # 县级审定
]
STAGES: tuple[Stage, ...] = get_args(Stage)

CaseKind = Literal["identification", "clearance"]
CASE_KINDS: tuple[CaseKind, ...] = get_args(CaseKind)
# Roles that act on cases, by their account role's value (domain.access.Role).
ActingRole = Literal["village", "staff", "reviewer", "approver", "county"]

Category = Literal["unstable", "marginal", "sudden"]
# 脱贫不稳定户, 边缘易致贫户, 突发严重困难户: the national mechanism's three kinds.
CATEGORIES: tuple[Category, ...] = get_args(Category)

ClearanceKind = Literal["helped", "natural"]
# 帮扶消除 (the risk removed by help: a measure done), 自然消除 (gone by itself).
CLEARANCE_KINDS: tuple[ClearanceKind, ...] = get_args(ClearanceKind)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Span(_Strict):
    """A stage's allowance from its start: working days or calendar days."""

    working_days: int | None = Field(None, ge=1, le=60)
    days: int | None = Field(None, ge=1, le=120)

    @model_validator(mode="after")
    def _one(self) -> Span:
        if (self.working_days is None) == (self.days is None):
            raise ValueError("give either working_days or days")
        return self

    def most(self, unit: Literal["working_days", "days"]) -> int:
        """The longest this span can take in ``unit`` over an ordinary week
        (Monday to Friday): n working days may take n + 2 days per started
        week; d calendar days may hold 5 working days per week."""
        if unit == "working_days":
            if self.working_days is not None:
                return self.working_days
            assert self.days is not None
            return 5 * (self.days // 7) + min(self.days % 7, 5)
        if self.days is not None:
            return self.days
        assert self.working_days is not None
        return self.working_days + 2 * -(-self.working_days // 5)

    def unit(self) -> Literal["working_days", "days"]:
        return "working_days" if self.working_days is not None else "days"

    def after(self, start: date, calendar: WorkCalendar) -> Due:
        if self.working_days is not None:
            return calendar.add(start, self.working_days)
        assert self.days is not None
        return Due(date.fromordinal(start.toordinal() + self.days))


class StageRule(_Strict):
    roles: list[ActingRole] = Field(min_length=1)
    due: Span
    source: str = Field(min_length=1, description="the practice or plan section it follows")


# An office's telephone as a notice prints it: digits, a hyphen between the
# area code and the number, or a short service number (12317).
OfficePhone = Annotated[str, Field(pattern=r"^(\d{3,4}-\d{7,8}|\d{5})$")]


class Notice(_Strict):
    min_days: int = Field(5, ge=1, le=60)
    source: str = Field(min_length=1)
    # Where villagers' objections go: each township office's telephone (an
    # office's, never a person's) and the national hotline.
    offices: dict[str, OfficePhone] = Field(default_factory=dict)
    hotline: OfficePhone | None = "12317"


class Duty(_Strict):
    """A step beside the stages and who takes it: the household's signed
    authorisation (承诺授权书), help given before the decision (绿色通道)."""

    roles: list[ActingRole] = Field(min_length=1)
    source: str = Field(min_length=1)


DEFAULT_CONSENT = Duty(
    roles=["village", "staff"],
    source="national practice: the household signs the authorisation at the home visit",
)
DEFAULT_GREEN_CHANNEL = Duty(
    roles=["staff"],
    source="national practice: for sudden severe hardship, help first, identify after (先帮后认)",
)


class Plan(_Strict):
    roles: list[ActingRole] = Field(min_length=1)
    source: str = Field(min_length=1)


class Clearance(_Strict):
    monitored_months: int = Field(6, ge=1, le=60)
    stable_months: int = Field(6, ge=1, le=12)
    measures_done: int = Field(1, ge=0, le=20)
    roles: list[ActingRole] = Field(min_length=1, description="who may propose clearance")
    source: str = Field(min_length=1)


class Escalation(_Strict):
    second_level_after_days: int = Field(5, ge=1, le=60)
    source: str = Field(min_length=1)


class CalendarDays(_Strict):
    """Days the official schedule does not hold: a year published after the
    library (give all its days off and make-up days, and list the year), or
    local days."""

    years: list[int] = Field(default_factory=list)
    days_off: list[date] = Field(default_factory=list)
    days_on: list[date] = Field(default_factory=list)

    @model_validator(mode="after")
    def _apart(self) -> CalendarDays:
        both = set(self.days_off) & set(self.days_on)
        if both:
            raise ValueError(f"a day cannot be both off and on: {sorted(both)}")
        return self


def _in_order(order: list[Stage]) -> list[Stage]:
    """A kind's stages: the procedure's order, once each, from verification to
    the county (checked per kind, so a refusal names the kind's line)."""
    if not order:
        raise ValueError("list its stages")
    if order != sorted(order, key=STAGES.index) or len(set(order)) != len(order):
        raise ValueError("stages in the procedure's order, once each")
    if order[-1] != "county_decision" or "verify" not in order:
        raise ValueError("starts with verification, ends with the county")
    return order


class Procedure(_Strict):
    stages: dict[Stage, StageRule]
    kinds: dict[CaseKind, Annotated[list[Stage], AfterValidator(_in_order)]]
    decision_within: Span
    decision_source: str = Field(min_length=1)
    consent: Duty = DEFAULT_CONSENT
    green_channel: Duty = DEFAULT_GREEN_CHANNEL
    notice: Notice
    plan: Plan
    clearance: Clearance
    escalation: Escalation
    calendar: CalendarDays = CalendarDays()

    @field_validator("stages")
    @classmethod
    def _every_stage(cls, stages: dict[Stage, StageRule]) -> dict[Stage, StageRule]:
        missing = set(STAGES) - set(stages)
        if missing:
            raise ValueError(f"every stage needs its rule; missing {sorted(missing)}")
        return stages

    @field_validator("kinds")
    @classmethod
    def _every_kind(cls, kinds: dict[CaseKind, list[Stage]]) -> dict[CaseKind, list[Stage]]:
        missing = set(CASE_KINDS) - set(kinds)
        if missing:
            raise ValueError(f"list the stages of every kind; missing {sorted(missing)}")
        return kinds

    @field_validator("decision_within")
    @classmethod
    def _stages_fit(cls, limit: Span, info: ValidationInfo) -> Span:
        """A case that meets every stage's deadline meets the decision's
        limit: each kind's allowances, added up over an ordinary week, fit
        in it (a holiday can still push a case past; escalation shows it)."""
        stages, kinds = info.data.get("stages"), info.data.get("kinds")
        if stages is None or kinds is None:
            return limit  # refused at their own lines
        unit = limit.unit()
        most = limit.most(unit)
        for kind, order in kinds.items():
            total = sum(stages[s].due.most(unit) for s in order if s in stages)
            if total > most:
                spans = " + ".join(f"{s} {stages[s].due.most(unit)}" for s in order)
                words = unit.replace("_", " ")
                raise ValueError(
                    f"the {kind} stages can take {spans} = {total} {words},"
                    f" beyond the limit of {most}"
                )
        return limit

    def order(self, kind: CaseKind) -> list[Stage]:
        return list(self.kinds[kind])

    def after(self, kind: CaseKind, stage: Stage) -> Stage:
        order = self.kinds[kind]
        return order[order.index(stage) + 1]

    def roles(self, stage: Stage) -> list[ActingRole]:
        return list(self.stages[stage].roles)

    def calendar_of(self, official: Official) -> WorkCalendar:
        """The working-day calendar: the official schedule with this file's days."""
        c = self.calendar
        return WorkCalendar(official, c.days_off, c.days_on, c.years)
