"""The monitor's HTTP API: households' risk statuses and timelines."""

from __future__ import annotations

from typing import Literal

from fastapi import FastAPI, HTTPException, Query
from prometheus_client import make_asgi_app

from domain.timeline import timeline
from schemas.status import RiskStatusOut, StatusPage, TimelineEntryOut
from services.monitor.households import Households
from services.monitor.views import RiskStatusView

Card = Literal["red", "yellow", "green", "blue"]
Level = Literal["none", "watch", "high", "critical"]


def create_app(households: Households, view: RiskStatusView) -> FastAPI:
    app = FastAPI(
        title="povwatch monitor",
        version="1",
        description="Households' risk statuses, kept current from department events.",
    )

    @app.get("/households", response_model=StatusPage, tags=["households"])
    def list_households(
        township: str | None = None,
        village: str | None = None,
        card: Card | None = None,
        level: Level | None = None,
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0),
    ) -> StatusPage:
        page = view.search(
            limit=limit, offset=offset, township=township, village=village, card=card, level=level
        )
        return StatusPage(items=page.items, total=page.total, limit=limit, offset=offset)

    @app.get("/households/{household_id}", response_model=RiskStatusOut, tags=["households"])
    def household_status(household_id: str) -> RiskStatusOut:
        status = view.get(household_id)
        if status is None:
            raise HTTPException(404, f"no household {household_id!r}")
        return status

    @app.get(
        "/households/{household_id}/timeline",
        response_model=list[TimelineEntryOut],
        tags=["households"],
    )
    def household_timeline(household_id: str) -> list[TimelineEntryOut]:
        events = households.history(household_id)
        if not events:
            raise HTTPException(404, f"no household {household_id!r}")
        return [TimelineEntryOut.model_validate(e) for e in timeline(events)]

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz", tags=["health"])
    def readyz() -> dict[str, object]:
        try:
            position = view.max_tracking_id(households.name) or 0
            stored = households.recorder.max_notification_id() or 0
        except Exception as e:  # the store is unreachable
            raise HTTPException(503, f"store unreachable: {type(e).__name__}") from None
        return {"status": "ready", "stored": stored, "projected": position}

    app.mount("/metrics", make_asgi_app())
    return app
