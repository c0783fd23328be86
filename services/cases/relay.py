"""Publishes every case and monitoring record change to ``povwatch.cases``.

As the tasks' relay: the cases store's log is the outbox, one message per
version (key = household_id, header ``povwatch.case`` = id:version), the
position recorded once the broker acknowledged the batch; a crash re-sends
the same (id, version) messages, which consumers recognise."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import cast
from uuid import UUID

from eventsourcing.persistence import Notification, Tracking, TrackingRecorder
from pydantic import BaseModel

from services.cases.app import Cases
from services.cases.views import case_doc, is_case_event, is_record_event, monitoring_doc
from services.infra import kafka
from services.infra.runner import LogRunner
from services.infra.settings import Settings

Outgoing = list[tuple[str, str, BaseModel]]  # (household_id, id:version, document)


class CaseRelay(LogRunner[Outgoing]):
    def __init__(self, settings: Settings, cases: Cases, position: TrackingRecorder) -> None:
        super().__init__(cases, position, self, "case_relay", limit=500)
        self.settings, self.cases, self.position_store = settings, cases, position
        self.producer = kafka.producer(settings)

    def prepare(self, notes: Sequence[Notification]) -> Outgoing:
        out: Outgoing = []
        for n in notes:
            oid, v = cast(UUID, n.originator_id), n.originator_version
            if is_case_event(n):
                case = case_doc(self.cases.case_at(oid, v))
                out.append((case.household_id, f"{case.case_id}:{v}", case))
            elif is_record_event(n):
                rec = monitoring_doc(self.cases.record_at(oid, v))
                out.append((rec.household_id, f"{oid}:{v}", rec))
        return out

    def record(self, out: Outgoing, notes: Sequence[Notification], tracking: Tracking) -> None:
        futures = [
            self.producer.send(
                self.settings.cases_topic,
                key=household.encode(),
                value=doc.model_dump_json().encode(),
                headers=[("povwatch.case", version.encode())],
            )
            for household, version, doc in out
        ]
        self.producer.flush()
        for f in futures:
            f.get(timeout=30)  # raises: the position is not recorded, the batch is re-sent
        self.position_store.insert_tracking(tracking)

    def follow(
        self, stop: threading.Event, interval: float = 0.1, leading: threading.Event | None = None
    ) -> None:
        super().follow(stop, interval, leading)
        self.producer.close()
