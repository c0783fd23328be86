"""The feeds' parts in the alerts process: their tables, the counter that
follows the households' log, the dead-letter follower (started with the
process's threads, not run by ``catch_up``: it waits on the broker), the
gauges, and the routes (the operators' API, the department's page)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prometheus_client.metrics_core import Metric

from domain.feeds import FeedBook, month_of
from services.feeds.cadence import load_feeds
from services.feeds.counter import fact_counter
from services.feeds.deadletters import DeadLetterFollower
from services.feeds.health import last_messages
from services.feeds.views import FeedViews, open_feed_views
from services.infra import metrics
from services.infra.runner import LogRunner
from services.infra.settings import Settings


@dataclass
class FeedParts:
    settings: Settings
    views: FeedViews
    counter: LogRunner[Any]
    book: FeedBook

    def follow_dead_letters(self, stop: threading.Event) -> None:
        DeadLetterFollower(self.settings, self.views.rejections).follow(stop)

    def close(self) -> None:
        self.views.close()


def feed_parts(settings: Settings, households: Any) -> FeedParts:
    views = open_feed_views(settings)
    return FeedParts(settings, views, fact_counter(households, views.months), load_feeds(settings))


def feed_gauges(parts: FeedParts, clock: Callable[[], datetime]) -> Iterator[Metric]:
    """Each department's last-message age and cadence, read at scrape time:
    the alert compares the two (deploy/prometheus/alerts.yml)."""
    now = clock()
    last = last_messages(parts.views)
    sources = sorted({c.source for c in parts.book.cadences} | set(last))
    # Never heard from: as old as the cadence's doubling, so that it fires.
    ages = {
        s: (now - last[s]).total_seconds() if s in last else _never(parts.book, s) for s in sources
    }
    yield metrics.gauge(
        "povwatch_feed_last_message_age_seconds",
        "Seconds since each department's last message, accepted or rejected",
        ["source"],
        (([s], max(a, 0.0)) for s, a in ages.items()),
    )
    yield metrics.gauge(
        "povwatch_feed_cadence_seconds",
        "Each department's expected cadence (POVWATCH_FEEDS_FILE)",
        ["source"],
        (([c.source], c.days * 86400.0) for c in parts.book.cadences),
    )
    month = month_of(now.astimezone(UTC))
    rejected = parts.views.rejections.counts("source", month=month)
    yield metrics.gauge(
        "povwatch_feed_rejected_this_month",
        "Messages dead-lettered this month (China time), by sender (a department, or topic:NAME)",
        ["source"],
        (([s or "unknown"], n) for (s,), n in rejected.items()),
    )


def _never(book: FeedBook, source: str) -> float:
    cadence = book.get(source)
    return 2.0 * cadence.days * 86400 if cadence else 0.0
