"""Alert rules as data: which households' risk becomes which help task.

A rule book is loaded from a file (services/infra/rulefile.py) and checked
here; evaluation is pure. Rules are tried in order and the first that matches
a household's card and risk decides.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.countyday import day
from domain.risk import RiskStatus
from domain.vocabulary import LEVELS, CardOrUnknown, FactorCode, Level, Measure
from domain.workdays import WorkCalendar, weekdays_only


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    level_at_least: Level = "high"
    any_factor: list[FactorCode] = Field(default_factory=list)  # empty: any factor
    # A listed factor counts only at this severity or above ("none": at any):
    # a guarantee failing at high, not a dropout for illness kept at watch.
    factor_at_least: Level = "none"

    def holds(self, status: RiskStatus) -> bool:
        if LEVELS.index(status.level) < LEVELS.index(self.level_at_least):
            return False
        if not self.any_factor:
            return True
        wanted, least = set(self.any_factor), LEVELS.index(self.factor_at_least)
        return any(f.code in wanted and LEVELS.index(f.severity) >= least for f in status.factors)


class Deadlines(_Strict):
    visit_working_days: int = Field(2, ge=1, le=30)
    measures_days: int = Field(15, ge=1, le=120)

    def measures_due(self, now: datetime) -> date:
        """When a lead taken at ``now`` wants its help measures: the county's
        day plus ``measures_days`` (calendar days). A department's help task
        and a monitoring object's plan task from any channel count it here."""
        return day(now) + timedelta(days=self.measures_days)


class Rule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    cards: list[CardOrUnknown] = Field(min_length=1)
    when: Condition = Condition()
    action: Literal["open", "join"] = "open"  # join: no new task, only add to an open one
    task: Literal["help", "identify"] = "help"
    title: str = Field(min_length=1)
    measures: list[Measure] = Field(default_factory=list)
    measures_by_factor: bool = True
    deadlines: Deadlines = Deadlines()
    source: str = Field(min_length=1, description="plan section or policy")


class Department(_Strict):
    """Who gives a measure, and where that comes from."""

    name: str = Field(min_length=1, max_length=100)  # as staff write it, in Chinese
    source: str = Field(min_length=1, description="plan section")


class Escalation(_Strict):
    second_level_after_days: int = Field(5, ge=1, le=60)


class RuleBook(_Strict):
    rules: list[Rule] = Field(min_length=1)
    measures_by_factor: dict[FactorCode, list[Measure]] = Field(default_factory=dict)
    departments: dict[Measure, Department] = Field(default_factory=dict)
    cooldown_days: int = Field(30, ge=0, le=365)
    escalation: Escalation = Escalation()
    holidays: list[date] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> RuleBook:
        ids = [r.id for r in self.rules]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"rule ids must be unique: {sorted(dupes)}")
        return self

    @model_validator(mode="after")
    def _departments_known(self) -> RuleBook:
        if not self.departments:
            return self
        suggested = {m for ms in self.measures_by_factor.values() for m in ms}
        suggested |= {m for r in self.rules for m in r.measures}
        missing = sorted(suggested - set(self.departments))
        if missing:
            raise ValueError(f"departments: no department for the measure(s) {missing}")
        return self

    def department_of(self, measure: str) -> str | None:
        """The department a measure goes to, as staff write it (None: unknown)."""
        found = self.departments.get(measure)  # type: ignore[call-overload]
        return found.name if found is not None else None

    def plan_deadlines(self, card: str | None) -> Deadlines:
        """The deadlines of a lead that names no rule (staff's, the household's)
        for a household of this card: those of the first rule that opens help
        tasks for the card, as a department's fact about it would."""
        for rule in self.rules:
            if (card or "unregistered") in rule.cards and rule.action == "open":
                return rule.deadlines
        return Deadlines()

    def match(self, status: RiskStatus) -> Rule | None:
        card = status.card or "unregistered"
        for rule in self.rules:
            if card in rule.cards and rule.when.holds(status):
                return rule
        return None

    def measures_for(self, rule: Rule, status: RiskStatus) -> list[str]:
        chosen: list[str] = list(rule.measures)
        if rule.measures_by_factor:
            by_factor: dict[str, list[str]] = {
                k: list(v) for k, v in self.measures_by_factor.items()
            }
            for f in status.factors:
                chosen.extend(by_factor.get(f.code, []))
        return list(dict.fromkeys(chosen))

    def weekdays(self) -> WorkCalendar:
        """Monday to Friday with this book's holidays: the working days when
        no official schedule is given (the services give one)."""
        return WorkCalendar(weekdays_only, days_off=self.holidays)
