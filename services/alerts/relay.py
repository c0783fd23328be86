"""Publishes every task change to ``povwatch.tasks``.

The alerts store's notification log is the outbox: the relay reads it in
order, publishes one message per task version (key = household_id), waits for
the broker's acknowledgement, then records its position. A crash in between
re-publishes the same (task id, version) messages, which consumers can
recognise; nothing is lost."""

from __future__ import annotations

import threading

from eventsourcing.persistence import Tracking, TrackingRecorder

from services.alerts.app import Alerts
from services.alerts.views import is_task_event, task_doc
from services.infra import kafka
from services.infra.follow import follow
from services.infra.metrics import TASK_LATENCY, seconds_since
from services.infra.settings import Settings


class TaskRelay:
    def __init__(self, settings: Settings, alerts: Alerts, position: TrackingRecorder) -> None:
        self.settings, self.alerts, self.position_store = settings, alerts, position
        self.producer = kafka.producer(settings)

    def position(self) -> int:
        return self.position_store.max_tracking_id(self.alerts.name) or 0

    def run_once(self, limit: int = 500) -> int:
        notes = self.alerts.recorder.select_notifications(start=self.position() + 1, limit=limit)
        if not notes:
            return 0
        futures, first_versions = [], []
        for n in notes:
            if not is_task_event(n):
                continue
            task = self.alerts.task_at(n.originator_id, n.originator_version)
            if task.version == 1 and task.triggered_at is not None:
                first_versions.append(task.triggered_at)
            doc = task_doc(task)
            futures.append(
                self.producer.send(
                    self.settings.tasks_topic,
                    key=doc.household_id.encode(),
                    value=doc.model_dump_json().encode(),
                    headers=[("povwatch.task", f"{doc.task_id}:{doc.version}".encode())],
                )
            )
        self.producer.flush()
        for f in futures:
            f.get(timeout=30)  # raises: the position is not recorded, the batch is re-sent
        self.position_store.insert_tracking(Tracking(self.alerts.name, notes[-1].id))
        for triggered_at in first_versions:
            TASK_LATENCY.observe(seconds_since(triggered_at))
        return len(notes)

    def lag(self) -> int:
        return max((self.alerts.recorder.max_notification_id() or 0) - self.position(), 0)

    def follow(
        self, stop: threading.Event, interval: float = 0.1, leading: threading.Event | None = None
    ) -> None:
        follow(self.run_once, "task_relay", stop, interval, leading)
        self.producer.close()
