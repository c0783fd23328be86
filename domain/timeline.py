"""A household's history in plain words, one line per stored fact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.household import FactRef


@dataclass(frozen=True)
class Entry:
    version: int
    occurred_at: datetime | None
    source: str | None
    event_id: str | None
    kind: str
    text: str
    fields: dict[str, str]  # the fact's own values, for wording it in another language


def _y(amount: Any) -> str:
    return f"{amount} yuan"


_TEXT = {
    "Registered": lambda e: (
        f"registered in {e.village}, {e.township}: {e.members} member(s), "
        f"{e.labour_capable} able to work, {e.card} card"
        + (f" ({', '.join(e.flags)})" if e.flags else "")
    ),
    "CardChanged": lambda e: f"card changed to {e.card}: {e.reason}",
    "IncomeReported": lambda e: (
        f"{e.kind} income of {_y(e.amount_yuan)} for {e.period_start} to {e.period_end}"
    ),
    "IllnessReported": lambda e: (
        f"{e.severity} illness of {e.person_ref}: cost {_y(e.total_cost_yuan)}, "
        f"reimbursed {_y(e.reimbursed_yuan)}, self-paid {_y(e.total_cost_yuan - e.reimbursed_yuan)}"
        + ("" if e.in_county else ", treated outside the county")
        + (" without referral" if e.referred is False else "")
    ),
    "DisasterReported": lambda e: (
        f"{e.kind}: loss of {_y(e.loss_yuan)}"
        + (f", house rated {e.housing_damage}" if e.housing_damage != "none" else "")
    ),
    "EmploymentChanged": lambda e: (
        f"{e.person_ref} now {e.status}"
        + (f" ({e.job_kind})" if e.job_kind else "")
        + (f", {_y(e.monthly_wage_yuan)} a month" if e.monthly_wage_yuan is not None else "")
    ),
    "LoanIssued": lambda e: (
        f"poverty loan {e.loan_id} of {_y(e.principal_yuan)} issued, due {e.due_date}"
    ),
    "LoanRepaid": lambda e: f"{_y(e.amount_yuan)} repaid on loan {e.loan_id}",
    "LoanOverdue": lambda e: (
        f"loan {e.loan_id} overdue {e.days_overdue} days, {_y(e.outstanding_yuan)} outstanding"
    ),
    "SchoolingReported": lambda e: (
        f"{e.person_ref} ({e.stage.replace('_', ' ')} school): {e.status.replace('_', ' ')}"
        + (f", reason {e.reason}" if e.reason else "")
    ),
    "InsuranceChanged": lambda e: f"{e.person_ref}'s medical insurance for {e.year}: {e.status}",
    "HousingRated": lambda e: f"house rated {e.rating} by the housing bureau on {e.rated_on}",
    "WaterChecked": lambda e: (
        f"drinking water ({e.supply} supply) "
        + ("meets the standard" if e.meets_standard else f"fails: {', '.join(e.failing or ())}")
    ),
    "AssistanceChanged": lambda e: (
        f"{e.scheme.replace('_', ' ')} {e.status} from {e.effective_from}"
        + (f" for {e.person_ref}" if e.person_ref else "")
        + (f", {_y(e.monthly_yuan)} a month" if e.monthly_yuan is not None else "")
    ),
    "MembersChanged": lambda e: (
        f"{e.person_ref}: {e.change.replace('_', ' ')} on {e.effective_on}"
        + (", able to work" if e.able_to_work else "")
    ),
    "DisabilityChanged": lambda e: (
        f"{e.person_ref}'s disability certificate {e.status} from {e.effective_on}"
        + (f": {e.category}, grade {e.grade}" if e.grade is not None else "")
    ),
}


def _where(e: Any) -> str:
    if e.in_county:
        return "in_county"
    return {True: "referred_out", False: "unreferred_out"}.get(e.referred, "out_of_county")


# Figures a fact's wording needs that are not among its own values.
_DERIVED = {"IllnessReported": lambda e: {"where": _where(e)}}


def describe(domain_event: Any) -> Entry:
    kind = type(domain_event).__name__
    ref: FactRef | None = getattr(domain_event, "ref", None)
    text = _TEXT[kind](domain_event) if kind in _TEXT else "stream opened"
    return Entry(
        version=domain_event.originator_version,
        occurred_at=ref.occurred_at if ref else None,
        source=ref.source if ref else None,
        event_id=ref.event_id if ref else None,
        kind=kind,
        text=text,
        fields={
            k: "-"
            if v is None
            else ", ".join(map(str, v))
            if isinstance(v, (list, tuple))
            else str(v)
            for k, v in vars(domain_event).items()
            if not k.startswith("originator") and k not in ("timestamp", "ref")
        }
        | (_DERIVED[kind](domain_event) if kind in _DERIVED else {}),
    )


def timeline(domain_events: list[Any]) -> list[Entry]:
    """Facts in the order they happened (occurred_at), not the order they arrived."""
    entries = [describe(e) for e in domain_events if type(e).__name__ in _TEXT]
    return sorted(entries, key=lambda e: (e.occurred_at or datetime.min, e.version))
