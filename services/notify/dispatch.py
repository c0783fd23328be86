"""The outbox's two jobs, run every few seconds by the leading alerts
process: groups that may send become deliveries, and due deliveries are
attempted (a failure is recorded with the next attempt's time; the key stays
the same, so a receiver that got a message before a crash can tell the
repeat). Gauges per receiver: queued messages and the oldest one's age."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from uuid import UUID

from prometheus_client import Counter
from prometheus_client.core import Metric

from services.infra import metrics
from services.notify.app import Notify
from services.notify.messages import Term, compose
from services.notify.senders import Sender, SendFailed
from services.notify.views import DeliveryView, OutboxView, stamp

log = logging.getLogger(__name__)

SENT = Counter("povwatch_push_sent_total", "Messages a receiver accepted", ["receiver"])
FAILED = Counter(
    "povwatch_push_failed_total", "Attempts a receiver refused or missed", ["receiver"]
)
BATCH = 200


class Dispatcher:
    def __init__(
        self,
        notify: Notify,
        outboxes: OutboxView,
        deliveries: DeliveryView,
        senders: Mapping[str, Sender],
        term: Term,
        clock: Callable[[], datetime],
    ) -> None:
        self.notify, self.outboxes, self.deliveries = notify, outboxes, deliveries
        self.senders, self.term, self.clock = senders, term, clock
        for receiver in senders:
            SENT.labels(receiver)
            FAILED.labels(receiver)

    def flush(self) -> int:
        """Makes a delivery of every group that may send now."""
        now = self.clock()
        made = 0
        due = self.outboxes.search(limit=BATCH, before=("sends_at", stamp(now) + "~"))
        for row in due.items:
            if self.notify.take(row.receiver, row.township, now) is not None:
                made += 1
        return made

    def deliver(self) -> int:
        """Attempts every delivery that is due; returns how many were accepted."""
        now = self.clock()
        due = self.deliveries.search(
            limit=BATCH, state="queued", before=("next_at", stamp(now) + "~")
        )
        accepted = 0
        for row in due.items:
            delivery = self.notify.delivery(UUID(row.delivery_id))
            sender = self.senders.get(row.receiver)
            if delivery is None or sender is None or not delivery.due(now):
                continue
            error = None
            try:
                sender.send(compose(delivery.batch(), self.notify.config, self.term))
            except SendFailed as e:
                error = str(e)
            self.notify.record_attempt(delivery, self.clock(), error)
            if error is None:
                SENT.labels(row.receiver).inc()
                accepted += 1
            else:
                FAILED.labels(row.receiver).inc()
                log.warning(
                    "push failed", extra={"receiver": row.receiver, "key": row.key, "error": error}
                )
        return accepted

    def gauges(self) -> Iterable[Metric]:
        now = self.clock()
        queued: dict[str, int] = {r: 0 for r in self.senders}
        oldest: dict[str, float] = {r: 0.0 for r in self.senders}
        page = self.deliveries.search(limit=10_000, state="queued")
        for row in page.items:
            queued[row.receiver] = queued.get(row.receiver, 0) + 1
            age = (now - datetime.fromisoformat(row.queued_at)).total_seconds()
            oldest[row.receiver] = max(oldest.get(row.receiver, 0.0), age)
        yield metrics.gauge(
            "povwatch_push_queued",
            "Messages waiting for their receiver",
            ["receiver"],
            (([r], n) for r, n in queued.items()),
        )
        yield metrics.gauge(
            "povwatch_push_oldest_queued_seconds",
            "Age of a receiver's oldest waiting message",
            ["receiver"],
            (([r], s) for r, s in oldest.items()),
        )
