"""What the alerts and the cases applications share: a process recorder
(each change can be written with a tracking record of what caused it, an
upstream notification or a job's period), dates stored as ISO text, and the
reads and commits around them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import IntegrityError, ProcessRecorder, Tracking, Transcoder

from services.infra.transcoder import DateAsISO


class TrackedApplication(Application[UUID]):
    """An application whose every change is committed with what caused it.
    Not the library's ``ProcessApplication`` (a system's follower): these
    applications are driven by the project's own runners and jobs. The one
    place that reaches into the library's commit (``_record``, ``_notify``)."""

    def construct_recorder(self) -> ProcessRecorder:
        return self.factory.process_recorder()

    def register_transcodings(self, transcoder: Transcoder) -> None:
        super().register_transcodings(transcoder)  # type: ignore[arg-type]
        transcoder.register(DateAsISO())

    def _get(self, aggregate_id: UUID | None) -> Any:
        """The aggregate, or None when there is none."""
        if aggregate_id is None:
            return None
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _commit(self, processing: ProcessingEvent[UUID]) -> None:
        recordings = self._record(processing)
        self._notify(recordings)

    def job_done(self, job: str, period: int) -> bool:
        return self.recorder.has_tracking_id(f"job:{job}", period)

    def finish_job(self, job: str, period: int, *aggregates: Any, position: bool = False) -> bool:
        """Records a job's period with the events it produced, atomically;
        False when that period was already recorded (it ran before a restart).
        ``position``: ``job`` names an upstream application and ``period`` is
        a notification id in its log."""
        name = job if position else f"job:{job}"
        processing = ProcessingEvent[UUID](tracking=Tracking(name, period))
        processing.collect_events(*aggregates)
        try:
            self._commit(processing)
        except IntegrityError:
            if self.recorder.has_tracking_id(name, period):
                return False
            raise
        return True
