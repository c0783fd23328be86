"""The write model: one event stream per household, fed from Kafka.

The application records, in one transaction, a household's new events and a
tracking record for the Kafka position (topic, partition, offset) that carried
them. The tracking record is what makes ingestion exactly-once: a redelivered
offset fails to record, and a restart resumes from the store, not from Kafka.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import (
    IntegrityError,
    ProcessRecorder,
    Tracking,
    Transcoder,
    Transcoding,
)

from domain.household import Conflict, FactRef, Household


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class FactRefAsDict(Transcoding):
    type = FactRef
    name = "fact_ref"

    def encode(self, obj: FactRef) -> dict[str, Any]:
        return obj.__dict__

    def decode(self, data: dict[str, Any]) -> FactRef:
        return FactRef(**data)


def kafka_position(topic: str, partition: int, offset: int) -> Tracking:
    # Notification ids start at 1; Kafka offsets at 0.
    return Tracking(application_name=f"kafka:{topic}:{partition}", notification_id=offset + 1)


@dataclass(frozen=True)
class Outcome:
    status: str  # stored | duplicate | conflict | redelivered
    detail: str = ""


class Households(Application[UUID]):
    """Commands and queries on households' event streams."""

    name = "Monitor"

    def construct_recorder(self) -> ProcessRecorder:
        return self.factory.process_recorder()

    def register_transcodings(self, transcoder: Transcoder) -> None:
        super().register_transcodings(transcoder)  # type: ignore[arg-type]
        transcoder.register(DateAsISO())
        transcoder.register(FactRefAsDict())

    # -- commands ---------------------------------------------------------

    def receive(
        self, kind: str, household_id: str, ref: FactRef, data: dict[str, Any], tracking: Tracking
    ) -> Outcome:
        """Appends one fact to its household's stream, exactly once per
        (source, event_id) and per Kafka position."""
        household = self.get_or_open(household_id)
        processing = ProcessingEvent[UUID](tracking=tracking)
        try:
            stored = household.receive(kind, ref, data)
        except Conflict as e:
            # Nothing is recorded: the caller dead-letters it, then skips.
            return Outcome("conflict", str(e))
        if stored:
            processing.collect_events(household)
        return self._commit(processing, Outcome("stored" if stored else "duplicate"))

    def skip(self, tracking: Tracking, outcome: Outcome) -> Outcome:
        """Records that a Kafka position was handled without storing a fact
        (it went to the dead-letter topic)."""
        return self._commit(ProcessingEvent[UUID](tracking=tracking), outcome)

    def _commit(self, processing: ProcessingEvent[UUID], outcome: Outcome) -> Outcome:
        try:
            recordings = self._record(processing)
        except IntegrityError:
            # Either this Kafka position was already recorded (a redelivery
            # after a crash between the store's commit and Kafka's), or another
            # writer got to the household first: only the first is harmless.
            tracking = processing.tracking
            if tracking and self.recorder.has_tracking_id(
                tracking.application_name, tracking.notification_id
            ):
                return Outcome("redelivered")
            raise
        self._notify(recordings)
        return outcome

    def get_or_open(self, household_id: str) -> Household:
        try:
            return self.repository.get(Household.create_id(household_id))
        except AggregateNotFoundError:
            return Household(household_id)

    # -- queries ----------------------------------------------------------

    def household(self, household_id: str, version: int | None = None) -> Household | None:
        try:
            return self.repository.get(Household.create_id(household_id), version=version)
        except AggregateNotFoundError:
            return None

    def resume_from(self, topic: str, partition: int) -> int | None:
        """The next Kafka offset to read for a partition, from the store's own
        tracking records (None when nothing was recorded yet)."""
        return self.recorder.max_tracking_id(f"kafka:{topic}:{partition}")

    def history(self, household_id: str) -> list:
        """The household's stored domain events, oldest first."""
        return list(self.repository.event_store.get(Household.create_id(household_id)))
