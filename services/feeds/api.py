"""The operators' view of every department's feed: ``GET /feeds?month=``."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, Query

from domain.access import Principal
from domain.feeds import month_of
from schemas.feeds import FeedHealth
from services.feeds.health import feed_health

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def feed_routes(
    parts: object, risk: object, clock: Callable[[], datetime], operator: Callable[..., Principal]
) -> APIRouter:
    router = APIRouter(tags=["departments"])

    @router.get("/feeds", response_model=FeedHealth)
    def feeds(
        month: str | None = Query(None, description="YYYY-MM, China time [this month]"),
        who: Principal = Depends(operator),
    ) -> FeedHealth:
        """Every department's feed in a month: last message, stored facts,
        rejected messages, the rejection rate and top reasons, households with
        stale income, cadence and silence."""
        if month is not None and not MONTH.match(month):
            raise HTTPException(
                422, [{"loc": ["query", "month"], "msg": "use YYYY-MM", "type": "month"}]
            )
        now = clock()
        return feed_health(
            parts.views,  # type: ignore[attr-defined]
            month or month_of(now),
            now=now,
            book=parts.book,  # type: ignore[attr-defined]
            risk=risk,
        )

    return router
