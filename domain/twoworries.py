"""两不愁 (不愁吃, 不愁穿: plan §3(1)) as the home verification finds it.

No department publishes food or clothing: the visit records each finding,
and the county's table of the standard counts the households whose latest
verification found one not met. A finding not met is the hardship
``food_clothing`` on the visit's record, so the case's other rules (the
lead's factors, the green channel) read 两不愁 where they read the rest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from domain.task_input import TaskInputError

FINDINGS: tuple[str, ...] = ("food", "clothing")  # 不愁吃, 不愁穿, each a bit in this order
HARDSHIP = "food_clothing"  # the hardship code that says 两不愁 fails
# A verification's findings as the bits of one integer (the cases view's
# ``two_worries`` column): a finding not met sets its bit; VERIFIED_BIT says
# the case has a verification at all, so a later one found met still counts
# as the household's latest.
VERIFIED_BIT = len(FINDINGS)


def visit_hardship(
    hardship: Sequence[str], food_met: bool | None, clothing_met: bool | None
) -> list[str]:
    """The visit's hardship list with 两不愁 named when a finding is not met.
    Naming it while finding both food and clothing met is a contradiction."""
    if HARDSHIP in hardship and food_met is True and clothing_met is True:
        raise TaskInputError(
            "hardship", "two_worries", "两不愁 is named but food and clothing were found met"
        )
    unmet = food_met is False or clothing_met is False
    return [*hardship, HARDSHIP] if unmet and HARDSHIP not in hardship else list(hardship)


def unmet(record: Mapping[str, Any]) -> tuple[str, ...]:
    """The findings a verification's record says are not met. A record that
    names 两不愁 (吃、穿有困难) and finds neither not met (one stored before the
    findings were recorded, or a caller that named only the hardship) has
    those it did not record not met."""
    recorded = {f: record.get(f"{f}_met") for f in FINDINGS}
    found = tuple(f for f in FINDINGS if recorded[f] is False)
    if found or HARDSHIP not in record.get("hardship", ()):
        return found
    return tuple(f for f in FINDINGS if recorded[f] is None)


def bits(record: Mapping[str, Any] | None) -> int:
    """The verification's findings as bits; 0 for a case not verified."""
    if record is None:
        return 0
    found = set(unmet(record))
    return (1 << VERIFIED_BIT) | sum(1 << k for k, f in enumerate(FINDINGS) if f in found)
