"""Publishes every task change to ``povwatch.tasks``, one message per task
version (header ``povwatch.task`` = task_id:version), through the alerts
store's log as the outbox (services/infra/relay.py). A message is the task's
document with its health factors' amounts left out (``domain.health``):
whoever reads the topic learns the factor, not the costs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast
from uuid import UUID

from eventsourcing.persistence import Notification, TrackingRecorder

from domain.health import without_amounts
from schemas.tasks import TaskFactor, TaskOut
from services.alerts.app import Alerts
from services.alerts.views import is_task_event, task_doc
from services.infra.metrics import TASK_LATENCY, seconds_since
from services.infra.relay import Outgoing, Relay
from services.infra.settings import Settings


def message_doc(doc: TaskOut) -> TaskOut:
    """The task as ``povwatch.tasks`` carries it."""
    factors = [
        TaskFactor(code=f.code, **without_amounts(f.code, f.model_dump(exclude={"code"})))
        for f in doc.factors
    ]
    return doc.model_copy(update={"factors": factors})


class TaskRelay(Relay):
    def __init__(self, settings: Settings, alerts: Alerts, position: TrackingRecorder) -> None:
        super().__init__(
            settings, alerts, position, "task_relay", settings.tasks_topic, "povwatch.task"
        )
        self.alerts = alerts

    def prepare(self, notes: Sequence[Notification]) -> list[Outgoing]:
        out = []
        for n in notes:
            if not is_task_event(n):
                continue
            task = self.alerts.task_at(cast(UUID, n.originator_id), n.originator_version)
            doc = message_doc(task_doc(task))
            out.append(
                Outgoing(
                    doc.household_id,
                    f"{doc.task_id}:{doc.version}",
                    doc,
                    task.triggered_at if task.version == 1 else None,
                )
            )
        return out

    def sent(self, out: list[Outgoing]) -> None:
        for o in out:
            if o.triggered_at is not None:
                TASK_LATENCY.observe(seconds_since(o.triggered_at))
