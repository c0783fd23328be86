"""The two small tables of the departments' feeds, on either store: the
dead-lettered messages (written by the dead-letter follower) and the stored
facts by department and month (written by the counter, with its position in
the households' log)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemas.feeds import FeedMonthOut, RejectionOut
from services.infra import views
from services.infra.settings import Settings
from services.infra.views import PostgresDocumentView, SQLiteDocumentView, Table

REJECTIONS = Table(
    name="feed_rejections",
    key="key",
    columns=("source", "month", "reason"),
    model=RejectionOut,
    order="key",
)
FEED_MONTHS = Table(
    name="feed_months",
    key="key",
    columns=("source", "month"),
    model=FeedMonthOut,
    order="key",
    sums=("accepted",),
)


class SQLiteRejections(SQLiteDocumentView[RejectionOut]):
    table = REJECTIONS


class PostgresRejections(PostgresDocumentView[RejectionOut]):
    table = REJECTIONS


class SQLiteFeedMonths(SQLiteDocumentView[FeedMonthOut]):
    table = FEED_MONTHS


class PostgresFeedMonths(PostgresDocumentView[FeedMonthOut]):
    table = FEED_MONTHS


@dataclass
class FeedViews:
    rejections: Any  # DocumentView[RejectionOut]
    months: Any  # DocumentView[FeedMonthOut]

    def close(self) -> None:
        self.rejections.datastore.close()
        self.months.datastore.close()


def open_feed_views(settings: Settings) -> FeedViews:
    def make() -> FeedViews:
        return FeedViews(
            views.open_view(
                settings.store_env("FeedRejections"),
                "FeedRejections",
                SQLiteRejections,
                PostgresRejections,
            ),
            views.open_view(
                settings.store_env("FeedMonths"), "FeedMonths", SQLiteFeedMonths, PostgresFeedMonths
            ),
        )

    return settings.open_store(make, "the feeds' tables")
