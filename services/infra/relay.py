"""Publishing an application's changes to a Kafka topic, its notification log
being the outbox: the relay reads the log in order, sends one message per
aggregate version (key = household id, a header naming ``id:version``),
waits for the broker's acknowledgement, then records its position. A crash
in between sends the same (id, version) messages again, which consumers
recognise; nothing is lost."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import Notification, Tracking, TrackingRecorder
from pydantic import BaseModel

from services.infra import kafka
from services.infra.runner import LogRunner
from services.infra.settings import Settings


@dataclass(frozen=True)
class Outgoing:
    household_id: str
    version: str  # "<id>:<version>", the header consumers keep the highest of
    doc: BaseModel
    triggered_at: datetime | None = None  # a new task's trigger time (its latency)


class Relay(LogRunner[list[Outgoing]]):
    """A relay of ``upstream``'s log to ``topic``; a subclass says which
    notifications become which messages (``prepare``)."""

    def __init__(
        self,
        settings: Settings,
        upstream: Application[Any],
        position: TrackingRecorder,
        name: str,
        topic: str,
        header: str,
    ) -> None:
        super().__init__(upstream, position, self, name, limit=500)
        self.settings, self.position_store = settings, position
        self.topic, self.header = topic, header
        self.publisher = kafka.Publisher(settings)

    def prepare(self, notes: Sequence[Notification]) -> list[Outgoing]:
        raise NotImplementedError

    def sent(self, out: list[Outgoing]) -> None:
        """After the batch's position is recorded (metrics)."""

    def record(
        self, out: list[Outgoing], notes: Sequence[Notification], tracking: Tracking
    ) -> None:
        # Raises when the broker did not take them all: the position is not
        # recorded and the batch is sent again.
        self.publisher.send_all(
            self.topic,
            (
                (
                    o.household_id.encode(),
                    o.doc.model_dump_json().encode(),
                    [(self.header, o.version.encode())],
                )
                for o in out
            ),
        )
        self.position_store.insert_tracking(tracking)
        self.sent(out)

    def follow(
        self, stop: threading.Event, interval: float = 0.1, leading: threading.Event | None = None
    ) -> None:
        super().follow(stop, interval, leading)
        self.publisher.close()
