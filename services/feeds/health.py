"""The departments' feed health for a month: one call for the operators'
API, the gauges and the monthly report.

``feed_health(settings_or_views, "2026-06")`` returns a ``FeedHealth``
(``schemas/feeds.py``): for each department its last message (accepted or
rejected), the month's stored facts and rejected messages, the rejection
rate and the top reasons in Chinese naming the field, whether it publishes
income and then the county's households with stale income, its cadence and
whether it is silent past it. Reads two small tables (grouped counts) and,
for stale income, one count over the risk status view.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from psycopg.sql import SQL, Identifier

from domain.feeds import Cadence, FeedBook, reason_zh, rejection_rate
from schemas.feeds import FeedHealth, ReasonCount, SourceHealth
from services.feeds.views import FeedViews, open_feed_views
from services.infra.settings import Settings
from services.infra.views import PostgresDocumentView

TOP_REASONS = 5
# Written by the projection as orjson writes a dataclass: no spaces.
STALE = '%"income_stale":true%'


def stale_income_households(risk: Any) -> int:
    """Registered households with no income report in the last 12 months
    (the risk status's ``income_stale``): one scan of the view."""
    if isinstance(risk, PostgresDocumentView):
        statement = SQL("SELECT COUNT(*) AS n FROM {0} WHERE body LIKE %s").format(
            Identifier(risk.datastore.schema, risk.table.name)
        )
        with risk.datastore.transaction(commit=False) as curs:
            curs.execute(statement, (STALE,))
            return int(curs.fetchone()["n"])
    with risk.datastore.transaction(commit=False) as c:
        c.execute(f"SELECT COUNT(*) FROM {risk.table.name} WHERE body LIKE ?", (STALE,))
        return int(c.fetchone()[0])


def last_messages(views: FeedViews) -> dict[str, datetime]:
    """Each department's last message, accepted or rejected."""
    last: dict[str, datetime] = {}

    def seen(source: str, at: datetime | None) -> None:
        if at is not None and (source not in last or at > last[source]):
            last[source] = at

    for (source,) in views.months.counts("source"):
        rows = views.months.search(limit=1, source=source)  # to learn how many
        newest = views.months.search(limit=1, offset=max(rows.total - 1, 0), source=source)
        for row in newest.items:
            seen(row.source, row.last_at)
    for (source,) in views.rejections.counts("source"):
        for row in views.rejections.search(limit=1, source=source).items:  # newest first
            seen(row.source, row.rejected_at)
    return last


def feed_health(
    where: Settings | FeedViews,
    month: str,
    *,
    now: datetime | None = None,
    book: FeedBook | None = None,
    risk: Any = None,
) -> FeedHealth:
    """The figures of ``month`` (YYYY-MM, China time) for every department
    heard from or configured. ``where``: the settings (the tables are opened
    and closed here) or the open tables; ``risk``: the risk status view (from
    the settings when not given); ``book``: the cadences (the configured file)."""
    if isinstance(where, Settings):
        from services.feeds.cadence import load_feeds
        from services.households.statusview import open_view

        views, own_risk = open_feed_views(where), risk is None
        risk = risk if risk is not None else open_view(where)
        book = book or load_feeds(where)
        try:
            return _figures(views, month, now, book, risk)
        finally:
            views.close()
            if own_risk:
                risk.datastore.close()
    return _figures(where, month, now, book or FeedBook(()), risk)


def _figures(
    views: FeedViews, month: str, now: datetime | None, book: FeedBook, risk: Any
) -> FeedHealth:
    now = now or datetime.now(UTC)
    rejected = {s: n for (s,), n in views.rejections.counts("source", month=month).items()}
    reasons: dict[str, list[ReasonCount]] = {}
    for (source, reason), n in views.rejections.counts("source", "reason", month=month).items():
        field, _, problem = (reason or "|").partition("|")
        reasons.setdefault(source or "unknown", []).append(
            ReasonCount(field=field, type=problem, reason_zh=reason_zh(field, problem), messages=n)
        )
    accepted, income = {}, set()
    for row in views.months.search(limit=10_000, month=month).items:
        accepted[row.source] = row.accepted
    for row in views.months.search(limit=100_000).items:
        if row.types.get("IncomeReported"):
            income.add(row.source)
    last = last_messages(views)
    stale = stale_income_households(risk) if risk is not None else 0
    sources = sorted({c.source for c in book.cadences} | set(last) | set(rejected))
    out = []
    for source in sources:
        cadence: Cadence | None = book.get(source)
        a, r = accepted.get(source, 0), rejected.get(source, 0)
        top = sorted(reasons.get(source, []), key=lambda x: (-x.messages, x.field, x.type))
        out.append(
            SourceHealth(
                source=source,
                month=month,
                last_message_at=last.get(source),
                accepted=a,
                rejected=r,
                rejection_rate=rejection_rate(a, r),
                top_reasons=top[:TOP_REASONS],
                publishes_income=source in income,
                stale_income_households=stale if source in income else None,
                cadence_days=cadence.days if cadence else None,
                cadence_basis=cadence.basis if cadence else None,
                silent=cadence.silent(last.get(source), now) if cadence else False,
            )
        )
    return FeedHealth(month=month, computed_at=now, stale_income_households=stale, sources=out)
