"""Household cards (明白卡): each village's cards carry links to the
households' declaration pages, and each printing of a village's cards is an
issue. A link names its household and the issue it was printed in; issuing
the village's cards again revokes every link of the earlier issues (a card
lost or posted where it should not be stops working once replaced)."""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


class CardIssue(Aggregate):
    @staticmethod
    def create_id(township: str, village: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/povwatch/cards/{township}/{village}")

    @event("Opened")
    def __init__(self, township: str, village: str) -> None:
        self.township, self.village = township, village
        self.issue = 0
        self.issued_at: datetime | None = None
        self.issued_by = ""

    def reissue(self, by: str, at: datetime) -> int:
        """A new issue of the village's cards; returns its number."""
        self._issued(by=by, at=at)
        return self.issue

    @event("Issued")
    def _issued(self, by: str, at: datetime) -> None:
        self.issue += 1
        self.issued_at, self.issued_by = at, by

    def valid(self, issue: int) -> bool:
        return issue == self.issue and issue > 0
