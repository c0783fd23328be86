"""Publishes every task change to ``povwatch.tasks``.

The alerts store's notification log is the outbox: the relay reads it in
order, publishes one message per task version (key = household_id), waits for
the broker's acknowledgement, then records its position. A crash in between
re-publishes the same (task id, version) messages, which consumers can
recognise; nothing is lost."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast
from uuid import UUID

from eventsourcing.persistence import Notification, Tracking, TrackingRecorder

from services.alerts.app import Alerts
from services.alerts.views import TaskOut, is_task_event, task_doc
from services.infra import kafka
from services.infra.metrics import TASK_LATENCY, seconds_since
from services.infra.runner import LogRunner
from services.infra.settings import Settings


@dataclass
class Outgoing:
    """A batch's task versions, and when each new task was triggered."""

    docs: list[TaskOut] = field(default_factory=list)
    triggered: list[datetime] = field(default_factory=list)


class TaskRelay(LogRunner[Outgoing]):
    def __init__(self, settings: Settings, alerts: Alerts, position: TrackingRecorder) -> None:
        super().__init__(alerts, position, self, "task_relay", limit=500)
        self.settings, self.alerts, self.position_store = settings, alerts, position
        self.producer = kafka.producer(settings)

    def prepare(self, notes: Sequence[Notification]) -> Outgoing:
        out = Outgoing()
        for n in notes:
            if not is_task_event(n):
                continue
            task = self.alerts.task_at(cast(UUID, n.originator_id), n.originator_version)
            if task.version == 1 and task.triggered_at is not None:
                out.triggered.append(task.triggered_at)
            out.docs.append(task_doc(task))
        return out

    def record(self, out: Outgoing, notes: Sequence[Notification], tracking: Tracking) -> None:
        futures = [
            self.producer.send(
                self.settings.tasks_topic,
                key=doc.household_id.encode(),
                value=doc.model_dump_json().encode(),
                headers=[("povwatch.task", f"{doc.task_id}:{doc.version}".encode())],
            )
            for doc in out.docs
        ]
        self.producer.flush()
        for f in futures:
            f.get(timeout=30)  # raises: the position is not recorded, the batch is re-sent
        self.position_store.insert_tracking(tracking)
        for triggered_at in out.triggered:
            TASK_LATENCY.observe(seconds_since(triggered_at))

    def follow(
        self, stop: threading.Event, interval: float = 0.1, leading: threading.Event | None = None
    ) -> None:
        super().follow(stop, interval, leading)
        self.producer.close()
