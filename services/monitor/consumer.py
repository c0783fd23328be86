"""Reads department events from Kafka and hands each to the households' store.

Order of work for each message: validate; an invalid one goes to the
dead-letter topic (acknowledged by the broker) before its position is
recorded; a valid one is stored with its position in one transaction. Kafka
offsets are committed only after that, and on (re)assignment each partition
resumes from the position the store recorded, so a crash anywhere loses and
duplicates nothing.
"""

from __future__ import annotations

import json
import logging
import threading
import time

from kafka import ConsumerRebalanceListener, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.structs import OffsetAndMetadata

from domain.household import FactRef
from schemas.events import Rejection, parse_event
from services import kafka
from services.metrics import CONSUMER_LAG, DLQ, EVENTS, INGEST_LATENCY, source_label
from services.monitor.households import Households, Outcome, kafka_position
from services.settings import Settings

log = logging.getLogger(__name__)


class _ResumeFromStore(ConsumerRebalanceListener):
    def __init__(self, consumer, households: Households) -> None:
        self.consumer, self.households = consumer, households

    def on_partitions_revoked(self, revoked) -> None:
        pass

    def on_partitions_assigned(self, assigned) -> None:
        for tp in assigned:
            offset = self.households.resume_from(tp.topic, tp.partition)
            if offset is not None:
                self.consumer.seek(tp, offset)
        log.info("assigned partitions %s", sorted(tp.partition for tp in assigned))


class Ingestor:
    """One consumer in the monitor's consumer group."""

    def __init__(self, settings: Settings, households: Households) -> None:
        self.settings = settings
        self.households = households
        self.consumer = kafka.consumer(settings, settings.monitor_group)
        self.consumer.subscribe(
            [settings.events_topic], listener=_ResumeFromStore(self.consumer, households)
        )
        self.dlq = kafka.producer(settings)

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                self.poll_once()
        finally:
            self.close()

    def poll_once(self, timeout_ms: int = 500) -> int:
        batch = self.consumer.poll(timeout_ms=timeout_ms)
        handled = 0
        for tp, records in batch.items():
            for record in records:
                self.handle(record)
                handled += 1
            # The store has committed every record of this partition's batch.
            self.consumer.commit({tp: OffsetAndMetadata(records[-1].offset + 1, "", -1)})
        self._report_lag()
        return handled

    def _report_lag(self) -> None:
        for tp in self.consumer.assignment():
            high = self.consumer.highwater(tp)
            if high is not None:
                lag = max(high - self.consumer.position(tp), 0)
                CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(lag)

    def handle(self, record: ConsumerRecord) -> Outcome:
        tracking = kafka_position(record.topic, record.partition, record.offset)
        try:
            ev = parse_event(record.value)
            if record.key is not None and record.key != ev.household_id.encode():
                raise Rejection(
                    "key_mismatch",
                    [{"field": "household_id", "type": "key_mismatch",
                      "message": "the Kafka key differs from household_id"}],
                )
        except Rejection as r:
            self._dead_letter(record, r.as_dict())
            outcome = self.households.skip(tracking, Outcome("rejected", r.code))
            EVENTS.labels("invalid", self._claimed_source(record), outcome.status).inc()
            return outcome
        ref = FactRef(ev.source, ev.event_id, ev.occurred_at, ev.digest())
        outcome = self.households.receive(
            ev.type, ev.household_id, ref, ev.data.model_dump(), tracking
        )
        if outcome.status == "conflict":
            reason = {"code": "conflict", "errors": [
                {"field": "event_id", "type": "conflict", "message": outcome.detail}]}
            self._dead_letter(record, reason)
            outcome = self.households.skip(tracking, outcome)
        elif outcome.status == "stored" and record.timestamp and record.timestamp > 0:
            INGEST_LATENCY.observe(max(time.time() - record.timestamp / 1000, 0.0))
        EVENTS.labels(ev.type, ev.source, outcome.status).inc()
        log.debug("event %s", outcome.status, extra={
            "event_id": ev.event_id, "source": ev.source, "type": ev.type,
            "household_id": ev.household_id, "outcome": outcome.status})
        return outcome

    def _dead_letter(self, record: ConsumerRecord, reason: dict) -> None:
        headers = [
            ("povwatch.reason", json.dumps(reason, ensure_ascii=False).encode()),
            ("povwatch.origin.topic", record.topic.encode()),
            ("povwatch.origin.partition", str(record.partition).encode()),
            ("povwatch.origin.offset", str(record.offset).encode()),
        ]
        # Wait for the broker: the position is recorded only once the DLQ has it.
        self.dlq.send(
            self.settings.dlq_topic, value=record.value, key=record.key, headers=headers
        ).get(timeout=30)
        DLQ.labels(reason["code"], self._claimed_source(record)).inc()
        log.warning("message dead-lettered", extra={
            "topic": record.topic, "partition": record.partition, "offset": record.offset,
            "reason": reason["code"], "fields": [e["field"] for e in reason["errors"]]})

    @staticmethod
    def _claimed_source(record: ConsumerRecord) -> str:
        """The source an invalid message claims, when it says one."""
        try:
            return source_label(json.loads(record.value).get("source"))
        except (ValueError, AttributeError, TypeError):
            return "unknown"

    def close(self) -> None:
        self.consumer.close()
        self.dlq.close()


def assignment(consumer) -> list[TopicPartition]:
    return sorted(consumer.assignment(), key=lambda tp: tp.partition)
