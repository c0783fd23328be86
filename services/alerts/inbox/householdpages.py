"""A household's page in the inbox: its risk, its facts and its timeline,
today or as of a day (a date picker, a GET form: no JavaScript). Staff see
their own township's households only, as in the API; what was known on a
day and what is known now about it come from the domain's fold
(``domain.asof``), the policy being the one in force that day."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from domain import countyday
from domain.access import Permission, Principal
from domain.asof import AsOfError, as_of, check_date
from domain.policy import PolicyBook, PolicyError
from domain.timeline import timeline
from schemas.status import RiskStatusOut
from services.alerts.inbox.ownpage import head_name
from services.alerts.inbox.pages import Problem, page, signed_in_page
from services.households.names import HeadNames
from services.households.statusview import RiskStatusView
from services.infra.access import Accounts, require_visible


@dataclass(frozen=True)
class HouseholdSources:
    """What the household page reads: the risk status view (today's status
    and the township that decides who may look), the stored events, the
    policy book in force."""

    risk: RiskStatusView
    history: Callable[[str], Sequence[Any]]
    policies: Callable[[], PolicyBook]
    accounts: Accounts
    clock: Callable[[], datetime]
    names: HeadNames | None = None  # the head's name, for its own township's staff


def router(src: HouseholdSources) -> APIRouter:
    pages = APIRouter(prefix="/inbox", include_in_schema=False)

    def user(request: Request) -> Principal:
        who = signed_in_page(src.accounts, request)
        if not who.may(Permission.READ_HOUSEHOLDS):
            raise HTTPException(403, "role has no household pages")
        return who

    @pages.get("/households/{household_id}", response_class=HTMLResponse)
    def household_page(request: Request, household_id: str, as_of: str = "") -> Response:
        who = user(request)
        status = src.risk.get(household_id)
        events = src.history(household_id)
        # As the API: outside the account's township is 403 whether it exists or not.
        require_visible(who, bool(events), status.township if status else None, household_id)
        today = countyday.day(src.clock())
        context: dict[str, Any] = {"who": who, "household_id": household_id, "status": status}
        township = status.township if status else None
        context["head_name"] = head_name(src.names, who, township, household_id)
        context.update(picked=as_of, today=today, seen=None, error=None)
        on, problem = _day(as_of.strip(), today)
        context["assumed"] = _assumed(src.policies(), on or today)
        if problem is not None:
            context["error"] = problem
        elif on is not None:
            try:
                context["seen"] = as_of_view(household_id, events, on, src.policies())
            except AsOfError as e:
                context["error"] = Problem("no_policy", e.field, message=str(e))
        context["events"] = timeline(list(events))
        return page(request, "household.html", 422 if context["error"] else 200, **context)

    return pages


def _assumed(book: PolicyBook, on: date) -> list[Any]:
    try:
        return book.in_force(on).assumed_lines()
    except PolicyError:  # no policy that day: the page says so
        return []


def _day(text: str, today: date) -> tuple[date | None, Problem | None]:
    """The picked day, or the form's problem with it (a field and a code)."""
    if not text:
        return None, None
    try:
        on = date.fromisoformat(text)
    except ValueError:
        return None, Problem("date", "as_of")
    try:
        check_date(on, today)
    except AsOfError as e:
        return None, Problem("future", e.field, message=str(e))
    return on, None


def as_of_view(code: str, events: Sequence[Any], on: date, policies: PolicyBook) -> Any:
    """The domain's answer with its two statuses in the read model's shape
    (the template words a status one way, whichever day it is from)."""
    seen = as_of(code, events, on, policies)
    return {
        "on": on,
        "then": seen.risk_then and RiskStatusOut.model_validate(seen.risk_then),
        "now": seen.risk_now and RiskStatusOut.model_validate(seen.risk_now),
        "policy_from": seen.policy_from,
        "changed": seen.changed,
        "lines": seen.lines,
        "late": len(seen.late),
    }


def from_parts(parts: Any) -> APIRouter:
    """The page over the alerts process's parts (``services.alerts.bootstrap.Parts``)."""
    return router(
        HouseholdSources(
            risk=parts.risk,
            history=parts.households.history,
            policies=lambda: parts.alerts.policies,
            accounts=parts.accounts,
            clock=parts.clock,
            names=parts.names,
        )
    )
