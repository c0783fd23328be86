"""The words povwatch's rules, pages, messages and views share, each defined
here once: risk levels, cards, risk factor codes and help measures.

Cards are the 2020 plan's four kinds of household (plan §3(1): red, yellow,
green, blue); levels and factors are povwatch's own reading of the plan's
monitoring thresholds (``domain.risk``); measures are the help the plan's
§3(2) lists by department. Roles are defined with their permissions in
``domain.access``."""

from __future__ import annotations

from typing import Literal, get_args

# In order of severity: a level compares by its index.
Level = Literal["none", "watch", "high", "critical"]
LEVELS: tuple[Level, ...] = get_args(Level)

Card = Literal["red", "yellow", "green", "blue"]
CARDS: tuple[Card, ...] = get_args(Card)
# Red, yellow and green households are in the poverty registry; blue ones are
# marginal households outside it (plan §3(1)).
REGISTERED_CARDS: tuple[Card, ...] = ("red", "yellow", "green")
# Registered as out of poverty (已脱贫): the households 脱贫不稳定户 is for.
OUT_OF_POVERTY_CARDS: tuple[Card, ...] = ("yellow", "green")
# A rule may name households the registry does not know.
CardOrUnknown = Literal["red", "yellow", "green", "blue", "unregistered"]

FactorCode = Literal[
    "income_below_line",
    "income_in_band",
    "income_drop",
    "medical_cost_high",
    "disaster_loss",
    "all_unemployed",
    "relocated_no_employment",
    "loan_overdue",
    "school_dropout",
    "insurance_lapsed",
    "reimbursement_low",
    "housing_unsafe",
    "water_unsafe",
    "assistance_missing",
    "disability",
    "labour_lacking",
    "food_clothing",
]
FACTOR_CODES: tuple[FactorCode, ...] = get_args(FactorCode)

Measure = Literal[
    "employment_help",
    "public_welfare_post",
    "workshop",
    "industry_help",
    "medical_aid",
    "relief_fund",
    "housing_repair",
    "minimum_living_allowance",
    "loan_rescheduling",
    "education_grant",
    "school_return",
    "insurance_enrolment",
    "water_works",
    "disability_subsidy",
]
MEASURES: tuple[Measure, ...] = get_args(Measure)


def level_index(level: str) -> int:
    """A level's rank (0 for ``none``); raises ValueError for an unknown word."""
    return LEVELS.index(level)
