"""What the case pages' forms say, as the case commands' arguments: dates
and numbers read (a bad one is the field's error, in the page's words),
yes/no choices, the hardship checkboxes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from domain.task_input import TaskInputError
from schemas.cases import CaseOut
from services.cases.app import Cases


def text_of(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def date_of(form: Any, name: str) -> date:
    try:
        return date.fromisoformat(text_of(form, name))
    except ValueError:
        raise TaskInputError(name, "date", "a date") from None


def _int(form: Any, name: str) -> int:
    try:
        return int(text_of(form, name))
    except ValueError:
        raise TaskInputError(name, "number", "a whole number") from None


def _yes(form: Any, name: str) -> bool:
    return text_of(form, name) in ("1", "yes", "on", "true")


def _verify(form: Any, case: CaseOut, cases: Cases) -> dict[str, Any]:
    return {
        "visited_on": date_of(form, "visited_on"),
        "members": _int(form, "members"),
        "labour_capable": _int(form, "labour_capable"),
        "income_estimate_yuan": _int(form, "income_estimate_yuan"),
        "hardship": [h for h in form.getlist("hardship") if isinstance(h, str)],
        "consent": _yes(form, "consent"),
        "note": text_of(form, "note"),
        # 两不愁: the form asks which is not met, so it records both findings.
        "food_met": not _yes(form, "food_unmet"),
        "clothing_met": not _yes(form, "clothing_unmet"),
    }


def _authorise(form: Any, case: CaseOut, cases: Cases) -> dict[str, Any]:
    signed = text_of(form, "signed") != "no"
    return {
        "signed": signed,
        "signed_on": date_of(form, "signed_on") if signed else None,
        "signer": text_of(form, "signer") or "head",
        "kept_at": text_of(form, "kept_at") if signed else "",
        "reason": text_of(form, "reason"),
    }


def _help_first(form: Any, case: CaseOut, cases: Cases) -> dict[str, Any]:
    return {
        "kind": text_of(form, "kind"),
        "department": text_of(form, "department"),
        "due_on": date_of(form, "due_on"),
        "note": text_of(form, "note"),
    }


def _cross_check(form: Any, case: CaseOut, cases: Cases) -> dict[str, Any]:
    return {"matches": _yes(form, "matches"), "differences": text_of(form, "differences")}


def _village_review(form: Any, case: CaseOut, cases: Cases) -> dict[str, Any]:
    agreed = _yes(form, "agreed")
    category = text_of(form, "category") or None
    return {
        "held_on": date_of(form, "held_on"),
        "attendees": _int(form, "attendees"),
        "agreed": agreed,
        "category": category if agreed and case.kind == "identification" else None,
        "note": text_of(form, "note"),
    }


def _post_notice(form: Any, case: CaseOut, cases: Cases) -> dict[str, Any]:
    days = _int(form, "days") if text_of(form, "days") else cases.procedure.notice.min_days
    return {"starts_on": date_of(form, "starts_on"), "days": days}


def _objection(form: Any, case: CaseOut, cases: Cases) -> dict[str, Any]:
    return {"received_on": date_of(form, "received_on"), "text": text_of(form, "text")}


def _close_notice(form: Any, case: CaseOut, cases: Cases) -> dict[str, Any]:
    return {"handling": text_of(form, "handling")}


def _township_review(form: Any, case: CaseOut, cases: Cases) -> dict[str, Any]:
    approve = text_of(form, "decision") != "return"
    return {
        "approve": approve,
        "reason": text_of(form, "reason"),
        "return_to": None if approve else (text_of(form, "return_to") or None),
    }


def _decide(form: Any, case: CaseOut, cases: Cases) -> dict[str, Any]:
    approve = text_of(form, "decision") != "decline"
    category = text_of(form, "category") or None
    declines = not approve and case.kind == "identification"
    return {
        "approve": approve,
        "reason": text_of(form, "reason"),
        "category": category if approve and case.kind == "identification" else None,
        "reason_category": (text_of(form, "reason_category") or None) if declines else None,
    }


Reader = Callable[[Any, CaseOut, Cases], dict[str, Any]]
# Form path -> (the case command, how its form reads).
ACTIONS: dict[str, tuple[str, Reader]] = {
    "verification": ("verify", _verify),
    "authorisation": ("authorise", _authorise),
    "help-first": ("help_first", _help_first),
    "crosscheck": ("cross_check", _cross_check),
    "village-review": ("village_review", _village_review),
    "notice": ("post_notice", _post_notice),
    "objections": ("record_objection", _objection),
    "notice/close": ("close_notice", _close_notice),
    "township-review": ("township_review", _township_review),
    "decision": ("decide", _decide),
}
