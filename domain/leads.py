"""Leads that people bring, beside those the departments' data raises: staff
who found a hardship on their rounds, and a household declaring its own
(national mechanism: 农户自主申报, 基层干部排查, 部门筛查预警 are the three ways
risk is found). Each is checked here, once, for every entry point: the
inbox's form, the API, the public declaration pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from domain.cases import Lead
from domain.policy import DEFAULT_SEVERITY
from domain.task_input import NOTE_MAX, TaskInputError, plain_text

Hardship = Literal[
    "illness",
    "disaster",
    "disability",
    "labour_lacking",
    "job_loss",
    "business_failure",
    "schooling",
    "other",
]
# The short list a household chooses from (因病, 因灾或意外, 因残, 缺劳动力, 失业,
# 经营失败, 因学, 其他): the risk types the national mechanism names.
HARDSHIPS: tuple[Hardship, ...] = get_args(Hardship)
# What a declared hardship suggests among the risk factors (staff confirm at
# the home visit); schooling costs and "other" name none.
HARDSHIP_FACTORS: dict[str, tuple[str, ...]] = {
    "illness": ("medical_cost_high",),
    "disaster": ("disaster_loss",),
    "disability": ("disability",),
    "labour_lacking": ("labour_lacking",),
    "job_loss": ("income_drop", "all_unemployed"),
    "business_failure": ("income_drop",),
    "schooling": (),
    "other": (),
}
DESCRIPTION_MAX = 500  # a household's own words: short, read on a phone
DESCRIPTION_MIN = 4


def staff_lead(by: str, at: datetime, factors: list[str], note: str) -> Lead:
    """A lead staff recorded: the hardship kinds seen, from the factor list."""
    if not factors:
        raise TaskInputError("factors", "required", "name at least one hardship seen")
    unknown = sorted(set(factors) - set(DEFAULT_SEVERITY))
    if unknown:
        raise TaskInputError("factors", "unknown_factor", f"unknown factor {unknown[0]!r}")
    plain_text("note", note, NOTE_MAX)
    return _lead("staff", at, sorted(set(factors)), note.strip(), by=by)


def declared_lead(
    at: datetime, hardship: str, description: str, channel: str = "household"
) -> Lead:
    """A household's own declaration: one hardship from the short list and
    a description in its own words (never a personal number)."""
    if hardship not in HARDSHIPS:
        raise TaskInputError("hardship", "required", "choose the hardship from the list")
    plain_text("description", description, DESCRIPTION_MAX, least=DESCRIPTION_MIN)
    factors = list(HARDSHIP_FACTORS[hardship])
    return _lead(channel, at, factors, description.strip(), hardship=hardship)


def _lead(channel: str, at: datetime, factors: list[str], text: str, **extra: Any) -> Lead:
    return {
        "channel": channel,
        "at": at,
        "rule_id": None,
        "title": None,
        "source": None,
        "level": None,
        "factors": factors,
        "task_id": None,
        "note": text,
        **extra,
    }
