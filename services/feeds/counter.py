"""Stored facts by department and month: a follower of the households' log
(never the ingestor's path), each batch's counts added to the month's row
and written with the batch's position in one transaction.

Not pipelined: a batch reads the rows the last one wrote, so it starts only
after that one has landed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Notification, Tracking

from domain.feeds import month_of
from schemas.feeds import FeedMonthOut
from services.infra.runner import LogRunner

FACT_TOPIC = "domain.household:Household."


class FactCounter:
    """The step: the batch's facts counted into their (department, month) rows."""

    def __init__(self, households: Any, months: Any) -> None:
        self.households, self.months = households, months

    def prepare(self, notes: Sequence[Notification]) -> list[FeedMonthOut]:
        rows: dict[str, FeedMonthOut] = {}
        mapper = self.households.mapper
        for note in notes:
            if not note.topic.startswith(FACT_TOPIC) or note.topic.endswith(".Opened"):
                continue
            event = mapper.to_domain_event(note)
            ref = getattr(event, "ref", None)
            if ref is None:
                continue
            month = month_of(event.timestamp)
            key = f"{ref.source}|{month}"
            row = rows.get(key)
            if row is None:
                row = self.months.get(key) or FeedMonthOut(
                    key=key, source=ref.source, month=month, accepted=0, last_at=None, types={}
                )
                rows[key] = row
            row.accepted += 1
            kind = type(event).__name__
            row.types[kind] = row.types.get(kind, 0) + 1
            if row.last_at is None or event.timestamp > row.last_at:
                row.last_at = event.timestamp
        return list(rows.values())

    def record(
        self, work: list[FeedMonthOut], notes: Sequence[Notification], tracking: Tracking
    ) -> None:
        self.months.save(work, tracking)


def fact_counter(households: Any, months: Any) -> LogRunner[list[FeedMonthOut]]:
    return LogRunner(households, months, FactCounter(households, months), "feed_months")
