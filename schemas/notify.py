"""The pushes' read models: each receiver group's waiting notices and each
message's delivery, for the dispatcher, the metrics and the operators' list
of failures. No personal detail: a delivery is named by its key."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class OutboxOut(BaseModel):
    outbox_id: str
    receiver: str
    township: str
    waiting: int
    sends_at: str | None  # ISO time the group may send (None: nothing waits)
    messages: int


class DeliveryOut(BaseModel):
    delivery_id: str
    key: str
    receiver: str
    township: str
    state: Literal["queued", "sent"]
    queued_at: str
    next_at: str
    attempts: int
    last_error: str
    sent_at: str | None
    notices: int
