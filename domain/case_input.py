"""What a case or plan command refuses before it looks at the state, beside
the text rules it shares with tasks (``domain.task_input``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, get_args

from domain.access import Principal
from domain.procedure import CATEGORIES, CLEARANCE_KINDS, Procedure
from domain.task_input import TaskError, TaskInputError
from domain.vocabulary import FACTOR_CODES, MEASURES, OUT_OF_POVERTY_CARDS
from domain.workdays import WorkCalendar

# Why the county declines to make a household a monitoring object, in the
# mechanism's terms: its income is above the monitoring range, no risk of
# falling (back) into poverty was found, the hardship is already met by the
# policies in force, the verification did not find what was declared, or
# another reason. The household is told the category only; the decision's
# own words stay with staff.
DeclineReason = Literal[
    "income_above_range", "no_risk_found", "met_by_policy", "not_as_declared", "other"
]
DECLINE_REASONS: tuple[DeclineReason, ...] = get_args(DeclineReason)


@dataclass(frozen=True)
class Acting:
    """Who takes a step and when, under which procedure and calendar (what
    every case and plan command needs beside its own input)."""

    who: Principal
    at: datetime
    procedure: Procedure
    calendar: WorkCalendar


def stamp(step: Acting) -> dict[str, Any]:
    """Who, in which role and when: what every step's event records."""
    return {"by": step.who.name, "role": step.who.role.value, "at": step.at}


def summary(record: dict[str, Any]) -> str:
    """A stage record as one line of the case's history."""
    return "; ".join(
        f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in record.items()
    )


class CaseForbidden(TaskError):
    """The account's role does not act at this stage, or the household is
    outside its area (HTTP 403)."""


def check_on_or_before(name: str, day: date, today: date) -> None:
    if day > today:
        raise TaskInputError(name, "future", "cannot be after today")


def check_count(name: str, value: int, least: int, most: int, most_is: str = "") -> None:
    if value < least:
        raise TaskInputError(name, "too_small", f"at least {least}", least)
    if value > most:
        raise TaskInputError(name, "too_large", f"at most {most_is or most}", most)


def check_category(name: str, category: str | None) -> None:
    if category not in CATEGORIES:
        raise TaskInputError(name, "unknown_category", f"one of {', '.join(CATEGORIES)}")


def check_decline_reason(declines: bool, value: str | None) -> None:
    """A declined identification's category of reason; nothing else has one."""
    if declines and value not in DECLINE_REASONS:
        raise TaskInputError(
            "reason_category", "unknown_reason", f"one of {', '.join(DECLINE_REASONS)}"
        )
    if not declines and value is not None:
        raise TaskInputError("reason_category", "not_here", "only a declined identification")


def check_category_fits(name: str, category: str | None, card: str | None) -> None:
    """脱贫不稳定户 only for a household registered as out of poverty,
    边缘易致贫户 only for one that is not, 突发严重困难户 for either."""
    check_category(name, category)
    out_of_poverty = card in OUT_OF_POVERTY_CARDS
    if category == "unstable" and not out_of_poverty:
        raise TaskInputError(
            name, "category_unfit", "unstable is for a household registered as out of poverty"
        )
    if category == "marginal" and out_of_poverty:
        raise TaskInputError(
            name, "category_unfit", "marginal is for a household not registered as out of poverty"
        )


def check_clearance_kind(name: str, kind: str) -> None:
    if kind not in CLEARANCE_KINDS:
        raise TaskInputError(name, "unknown_kind", f"one of {', '.join(CLEARANCE_KINDS)}")


def check_factors(name: str, codes: Sequence[str]) -> None:
    unknown = sorted(set(codes) - set(FACTOR_CODES))
    if unknown:
        raise TaskInputError(name, "unknown_factor", f"unknown: {', '.join(unknown)}")


def check_measure(name: str, kind: str) -> None:
    if kind not in MEASURES:
        raise TaskInputError(name, "unknown_measure", f"one of {', '.join(MEASURES)}")
