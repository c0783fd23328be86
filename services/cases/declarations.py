"""A household's own declaration through the link on its card, and what the
household sees of it afterwards; the printing of a village's cards.

The link names the household; whether it still works is the village's card
issue (printing the cards again revokes the old links). What the household
sees is where its latest case stands, in plain words: received, being
verified, received on its help plan (a monitoring object's), decided (monitored or not, with the category of the county's
reason: whoever holds the card reads it, so the reason's own words, which
may tell of the household's members, stay with staff)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from domain.cards import CardIssue
from domain.cases import Case
from domain.contacts import contact_text
from domain.leads import declared_lead
from domain.monitoring import PlanTask
from domain.task_input import TaskInputError
from services.cases.app import Cases, Place
from services.cases.cards import CardFace
from services.cases.contacts import ContactBook
from services.infra.links import BadLink, CardLink, LinkSigner


@dataclass(frozen=True)
class Standing:
    """What the household's page says about its latest case."""

    # none, received, verifying, monitored, declined, cleared, kept; plan: a
    # monitoring object's declaration being answered on its help plan
    state: str
    category: str | None = None
    reason_category: str | None = None  # a declined case's (domain.case_input.DECLINE_REASONS)
    since: datetime | None = None


class Declarations:
    def __init__(
        self,
        cases: Cases,
        signer: LinkSigner,
        place_of: Callable[[str], Place | None],
        base_url: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.cases, self.signer, self.place_of = cases, signer, place_of
        self.base_url, self.clock = base_url.rstrip("/"), clock

    # -- cards ---------------------------------------------------------------------

    def issue(self, township: str, village: str, by: str) -> int:
        """A new printing of the village's cards; the earlier links stop working."""
        cid = CardIssue.create_id(township, village)
        issue = self.cases._get(cid) or CardIssue(township, village)
        number = issue.reissue(by, self.clock())
        self.cases.save(issue)
        return number

    def current_issue(self, township: str, village: str) -> int:
        issue = self.cases._get(CardIssue.create_id(township, village))
        return issue.issue if issue else 0

    def faces(self, households: Iterable[str], township: str, village: str) -> list[CardFace]:
        issue = self.current_issue(township, village)
        if issue == 0:
            raise ValueError(f"{village}: no cards issued yet")
        return [
            CardFace(h, township, village, self.link(CardLink(h, township, village, issue)))
            for h in households
        ]

    def link(self, card: CardLink) -> str:
        return f"{self.base_url}/d/{self.signer.token(card)}"

    # -- the household's page ------------------------------------------------------

    def card(self, token: str) -> CardLink:
        """The card a link names, current or not; ``BadLink`` for a link
        that is not exactly one we signed."""
        return self.signer.read(token)

    def household_of(self, token: str) -> Place:
        """The household a link names, while its card issue is current;
        ``BadLink`` otherwise, whatever the reason (a revoked, forged or
        mistyped link all look alike to whoever holds it)."""
        card = self.signer.read(token)
        place = self.place_of(card.household_id)
        if (
            place is None
            or place.township != card.township
            or place.village != card.village
            or self.current_issue(card.township, card.village) != card.issue
        ):
            raise BadLink("not a card link")
        return place

    def declare(self, token: str, hardship: str, description: str) -> Case | PlanTask:
        """A case for the household, or for a monitoring object a task on its
        help plan (``Cases.take_lead`` decides)."""
        place = self.household_of(token)
        lead = declared_lead(self.clock(), hardship, description)  # the rules, once
        taken = self.cases.take_lead(place, lead)
        assert taken is not None  # no tracking: always taken
        return taken

    def declare_unregistered(
        self,
        places: dict[str, list[str]],
        township: str,
        village: str,
        hardship: str,
        description: str,
        contact: str,
        contacts: ContactBook,
    ) -> str:
        """A household the registry does not know: a lead for the township it
        names, under a new reference it can quote; returns that reference."""
        if township not in places:
            raise TaskInputError("township", "required", "choose the township from the list")
        if village not in places[township]:
            raise TaskInputError("village", "required", "choose the village from the list")
        lead = declared_lead(self.clock(), hardship, description)
        contact_text(contact)  # refused before anything is kept
        reference = "U-" + uuid4().hex[:10].upper()
        contacts.leave(reference, township, contact)
        lead["unregistered"] = True
        self.cases.take_lead(Place(reference, township, village, None), lead)
        return reference

    def standing(self, household_id: str) -> Standing:
        record = self.cases.record(household_id)
        if record is None or record.cases_opened == 0:
            return Standing("none")
        declared = [t for t in record.open_plan_tasks() if t.channel == "household"]
        if record.monitored and record.open_case is None and declared:
            return Standing("plan", record.category, since=declared[-1].opened_at)
        case = self.cases.case(Case.create_id(household_id, record.cases_opened))
        if case.is_open:
            state = "received" if case.stage == case.stages[0] else "verifying"
            return Standing(state, since=case.opened_at)
        # A case declined before reasons had categories: "other" (ask the village).
        reason = (case.reason_category or "other") if case.outcome == "declined" else None
        return Standing(case.outcome or "none", case.category, reason, case.updated_at)
