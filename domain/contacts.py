"""A way to reach a household outside the registry: the one personal detail
povwatch keeps. The detail itself is sealed (encrypted) in a table of its
own that can forget it (``services/cases/contacts.py``); this aggregate is
its record: who may see it (the staff of its township), each showing, and
its erasure when the household's case is decided. Nothing here holds it."""

from __future__ import annotations

import re
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.access import Principal
from domain.case_input import CaseForbidden
from domain.task_input import TaskError, TaskInputError

CONTACT_MAX = 60
CONTACT_ROLES = ("staff", "reviewer")  # the township's own staff
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def contact_text(text: str) -> str:
    """A phone number or a short way to reach the household; required."""
    text = text.strip()
    if len(text) < 3:
        raise TaskInputError("contact", "required", "say how the township can reach you")
    if len(text) > CONTACT_MAX or _CONTROL.search(text):
        raise TaskInputError(
            "contact", "too_long", f"at most {CONTACT_MAX} characters", CONTACT_MAX
        )
    return text


NOT_YOURS = "only the township's staff see a household's contact"


def may_see(who: Principal, township: str | None) -> bool:
    """Whether ``who`` may see the contact of a household of ``township``
    (and so hear whether it left one)."""
    return who.role.value in CONTACT_ROLES and who.sees(township, None)


class ContactRecord(Aggregate):
    @staticmethod
    def create_id(household_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/povwatch/contacts/{household_id}")

    @event("Left")
    def __init__(self, household_id: str, township: str, at: datetime) -> None:
        self.household_id, self.township = household_id, township
        self.left_at = at
        self.shown: list[dict[str, object]] = []
        self.erased_at: datetime | None = None

    def show(self, who: Principal, at: datetime) -> None:
        if not may_see(who, self.township):
            raise CaseForbidden(NOT_YOURS)
        if self.erased_at is not None:
            raise TaskError("the contact was erased when the case was decided")
        self._shown(by=who.name, role=who.role.value, at=at)

    @event("Shown")
    def _shown(self, by: str, role: str, at: datetime) -> None:
        self.shown.append({"by": by, "role": role, "at": at})

    def erase(self, at: datetime) -> None:
        if self.erased_at is None:
            self._erased(at=at)

    @event("Erased")
    def _erased(self, at: datetime) -> None:
        self.erased_at = at
