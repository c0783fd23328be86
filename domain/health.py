"""What of a household is a health detail, and what is said of it where
health details may not go.

Health details (illnesses, medical costs and their reimbursement) are for
the roles that read households (``Permission.READ_HOUSEHOLDS``). Elsewhere
(the task messages on ``povwatch.tasks``, the village staff's case pages,
the ledgers) a health factor is named by its code without its amounts, and
a health measure (medical aid) is not named at all."""

from __future__ import annotations

from typing import Any

from domain.access import Permission, Principal

# Factors whose reason and figures state medical costs or reimbursement.
HEALTH_FACTORS = frozenset({"medical_cost_high", "reimbursement_low"})
# Measures whose kind tells of a member's health.
HEALTH_MEASURES = frozenset({"medical_aid"})
# The reason a health factor carries where its amounts may not go.
PLAIN_REASONS = {
    "medical_cost_high": "self-paid medical cost over the threshold in the last 12 months",
    "reimbursement_low": "hospital stay(s) reimbursed below the plan's share",
}


def without_amounts(code: str, factor: dict[str, Any]) -> dict[str, Any]:
    """A factor (severity, reason, figures) as it may travel: a health
    factor keeps its severity and loses its figures and its reason's
    amounts; any other factor is unchanged."""
    if code not in HEALTH_FACTORS:
        return factor
    return {**factor, "reason": PLAIN_REASONS[code], "figures": {}}


def sees_health(who: Principal) -> bool:
    """Whether ``who`` reads health details: the roles that read households."""
    return who.may(Permission.READ_HOUSEHOLDS)
