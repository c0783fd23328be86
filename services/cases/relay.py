"""Publishes every case and monitoring record change to ``povwatch.cases``,
one message per version (header ``povwatch.case`` = id:version; the payload's
``kind_of_message`` says which), through the cases store's log as the outbox
(services/infra/relay.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast
from uuid import UUID

from eventsourcing.persistence import Notification, TrackingRecorder

from services.cases.app import Cases
from services.cases.views import case_doc, is_case_event, is_record_event, monitoring_doc
from services.infra.relay import Outgoing, Relay
from services.infra.settings import Settings


class CaseRelay(Relay):
    def __init__(self, settings: Settings, cases: Cases, position: TrackingRecorder) -> None:
        super().__init__(
            settings, cases, position, "case_relay", settings.cases_topic, "povwatch.case"
        )
        self.cases = cases

    def prepare(self, notes: Sequence[Notification]) -> list[Outgoing]:
        out = []
        for n in notes:
            oid, v = cast(UUID, n.originator_id), n.originator_version
            if is_case_event(n):
                case = case_doc(self.cases.case_at(oid, v))
                out.append(Outgoing(case.household_id, f"{case.case_id}:{v}", case))
            elif is_record_event(n):
                record = monitoring_doc(self.cases.record_at(oid, v))
                out.append(Outgoing(record.household_id, f"{oid}:{v}", record))
        return out
