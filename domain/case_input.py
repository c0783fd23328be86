"""What a case or plan command refuses before it looks at the state, beside
the text rules it shares with tasks (``domain.task_input``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from domain.procedure import CATEGORIES
from domain.task_input import TaskError, TaskInputError
from domain.vocabulary import FACTOR_CODES, MEASURES


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


def check_factors(name: str, codes: Sequence[str]) -> None:
    unknown = sorted(set(codes) - set(FACTOR_CODES))
    if unknown:
        raise TaskInputError(name, "unknown_factor", f"unknown: {', '.join(unknown)}")


def check_measure(name: str, kind: str) -> None:
    if kind not in MEASURES:
        raise TaskInputError(name, "unknown_measure", f"one of {', '.join(MEASURES)}")
