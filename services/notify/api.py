"""The operators' view of the pushes: messages waiting for their receiver
(with the last failure) and those sent, by receiver."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from fastapi import Depends, FastAPI, Query
from pydantic import BaseModel

from domain.access import Principal
from schemas.notify import DeliveryOut
from services.notify.views import DeliveryView


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    total: int


def push_routes(app: FastAPI, deliveries: DeliveryView, operator: Callable[..., Principal]) -> None:
    @app.get("/pushes", response_model=DeliveryPage, tags=["operations"])
    def pushes(
        state: Literal["queued", "sent"] = "queued",
        receiver: str | None = None,
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0, le=100_000),
        _: Principal = Depends(operator),
    ) -> DeliveryPage:
        """Queued messages oldest first (each with its attempts and last error), or sent ones."""
        page = deliveries.search(limit=limit, offset=offset, state=state, receiver=receiver)
        return DeliveryPage(items=page.items, total=page.total)
