"""The notify application: the outbox of pushes. Notices are offered to the
groups of the receivers that take them (in one transaction with the tracking
record of the cases' notification or the scan that produced them); a group
that may send is taken as one delivery in the same transaction as the group's
change; a delivery's attempts are recorded as they happen."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import IntegrityError, Tracking

from domain.notify import Notice, NotifyConfig, silenced
from domain.outbox import Delivery, Outbox
from domain.tasks import Silence
from services.infra.processapp import TrackedApplication


class Notify(TrackedApplication):
    def __init__(self, env: dict[str, str], config: NotifyConfig) -> None:
        super().__init__(env=env)
        self.config = config

    def outbox(self, receiver: str, township: str) -> Outbox | None:
        return self._get(Outbox.create_id(receiver, township))  # type: ignore[no-any-return]

    def delivery(self, delivery_id: UUID) -> Delivery | None:
        return self._get(delivery_id)  # type: ignore[no-any-return]

    def offer(
        self,
        notices: Iterable[Notice],
        silences: Iterable[Silence] = (),
        tracking: Tracking | None = None,
        now: datetime | None = None,
    ) -> int:
        """Offers each notice to its receivers' groups; returns how many
        groups took one. Recorded with ``tracking`` when given."""
        silences = list(silences)
        changed: dict[UUID, Outbox] = {}
        taken = 0
        for notice in notices:
            if silenced(notice, silences, now or notice.at):
                continue
            for receiver in self.config.receivers_for(notice):
                oid = Outbox.create_id(receiver.id, notice.township)
                box = changed.get(oid) or self._get(oid) or Outbox(receiver.id, notice.township)
                if box.offer(notice, self.config.grouping_of(receiver)):
                    changed[oid] = box
                    taken += 1
        processing = ProcessingEvent[UUID](tracking=tracking)
        processing.collect_events(*changed.values())
        if processing.events or tracking is not None:
            try:
                self._commit(processing)
            except IntegrityError:
                if tracking and self.recorder.has_tracking_id(
                    tracking.application_name, tracking.notification_id
                ):
                    return 0  # offered before a restart
                raise
        return taken

    def take(self, receiver_id: str, township: str, now: datetime) -> Delivery | None:
        """The group's waiting notices as one delivery, when it may send."""
        receiver = next((r for r in self.config.receivers if r.id == receiver_id), None)
        box = self.outbox(receiver_id, township)
        if receiver is None or box is None:
            return None
        batch = box.take(now, self.config.grouping_of(receiver), receiver.quiet_hours)
        if batch is None:
            return None
        delivery = Delivery.of(batch, now)
        self.save(box, delivery)  # one transaction: the group's change and its message
        return delivery

    def record_attempt(self, delivery: Delivery, now: datetime, error: str | None) -> Delivery:
        if error is None:
            delivery.delivered(now)
        else:
            delivery.failed(now, error, self.config.retry)
        self.save(delivery)
        return delivery
