"""Reads department events from Kafka and hands them to the households' store.

A poll is handled a partition at a time, as one batch: validate every
message; apply the valid ones to their households (cached, or read in one
query); send the invalid and conflicting ones to the dead-letter topic and
wait for the broker's acknowledgement; then store every new event and the
partition's last position in one transaction. Kafka offsets are committed
only after that, and on (re)assignment each partition resumes from the
position the store recorded, so a crash anywhere loses and duplicates nothing.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter

from kafka import ConsumerRebalanceListener, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.structs import OffsetAndMetadata

from domain.household import FactRef
from schemas.events import Rejection, parse_event
from services.households.app import Fact, Households, Outcome, kafka_position
from services.households.names import HeadNames, take_names
from services.infra import kafka
from services.infra.access import Accounts
from services.infra.metrics import (
    CONSUMER_LAG,
    DLQ,
    EVENTS,
    INGEST_LATENCY,
    STORE_ERRORS,
    source_label,
)
from services.infra.senders import SENDER, sender_of
from services.infra.settings import Settings

log = logging.getLogger(__name__)


class _ResumeFromStore(ConsumerRebalanceListener):
    def __init__(self, consumer, households: Households) -> None:
        self.consumer, self.households = consumer, households

    def on_partitions_revoked(self, revoked) -> None:
        # Another process may write these households now; whether it did is
        # for the store to tell when partitions come back (Households.assign).
        pass

    def on_partitions_assigned(self, assigned) -> None:
        topics = {tp.topic for tp in assigned}
        among = sum(len(self.consumer.partitions_for_topic(t) or ()) for t in topics)
        positions = self.households.assign(
            ((tp.topic, tp.partition) for tp in assigned), among=among
        )
        for tp in assigned:
            offset = positions[tp.topic, tp.partition]
            if offset is not None:
                self.consumer.seek(tp, offset)
        log.info("assigned partitions %s", sorted(tp.partition for tp in assigned))


class Ingestor:
    """One consumer in the monitor's consumer group."""

    def __init__(
        self,
        settings: Settings,
        households: Households,
        accounts: Accounts | None = None,
        names: HeadNames | None = None,
    ) -> None:
        self.settings = settings
        self.households = households
        self.accounts = accounts  # whose signatures name a dead letter's sender
        self.names = names  # without a table, the heads' names are dropped, never stored
        self.healthy = True  # False while waiting for the store or the broker
        self.consumer = kafka.consumer(settings, settings.monitor_group)
        # Joining the group before the topic's partitions are known leaves
        # this consumer with no assignment until the next metadata refresh
        # (minutes): wait a little for a topic just created.
        deadline = time.monotonic() + 10
        while not self.consumer.partitions_for_topic(settings.events_topic):
            if time.monotonic() > deadline:
                log.warning("no partitions known for %s yet; joining anyway", settings.events_topic)
                break
            time.sleep(0.2)
        self.consumer.subscribe(
            [settings.events_topic], listener=_ResumeFromStore(self.consumer, households)
        )
        self.dlq = kafka.Publisher(settings)

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    self.poll_once()
                except Exception:
                    log.exception("ingestion failed; pausing until the store and broker answer")
                    STORE_ERRORS.labels("ingest").inc()
                    self.recover(stop)
        finally:
            self.close()

    def recover(self, stop: threading.Event) -> None:
        """Stops fetching (nothing piles up in memory), waits with a growing
        pause until the store answers, then re-reads every partition from the
        position the store recorded: no offset is ever ahead of the store."""
        self.healthy = False
        self.households.forget_all()
        wait = 0.5
        while not stop.is_set():
            assigned = list(self.consumer.assignment())
            if assigned:
                self.consumer.pause(*assigned)
            try:
                self.consumer.poll(timeout_ms=int(wait * 1000))  # keeps the group membership
                positions = {
                    tp: self.households.resume_from(tp.topic, tp.partition) for tp in assigned
                }
            except Exception as e:
                wait = min(wait * 2, 5.0)
                log.warning("still waiting (%s); next try in %.1f s", type(e).__name__, wait)
                continue
            for tp, offset in positions.items():
                if offset is None:
                    self.consumer.seek_to_beginning(tp)
                else:
                    self.consumer.seek(tp, offset)
            if assigned:
                self.consumer.resume(*assigned)
            self.healthy = True
            log.info("ingestion resumed")
            return

    def poll_once(self, timeout_ms: int = 500) -> int:
        batch = self.consumer.poll(timeout_ms=timeout_ms)
        handled, done = 0, {}
        for tp, records in batch.items():
            self.handle_batch(records)
            handled += len(records)
            # The store has committed every record of this partition's batch.
            done[tp] = OffsetAndMetadata(records[-1].offset + 1, "", -1)
        if done:
            # Without waiting for the broker: the store's tracking, not this
            # offset, is where a partition resumes (see _ResumeFromStore).
            self.consumer.commit_async(done)
        self._report_lag()
        return handled

    def _report_lag(self) -> None:
        for tp in self.consumer.assignment():
            high = self.consumer.highwater(tp)
            if high is not None:
                lag = max(high - self.consumer.position(tp), 0)
                CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(lag)

    def handle(self, record: ConsumerRecord) -> Outcome:
        """One message on its own (a batch of one)."""
        return self.handle_batch([record])[0]

    def handle_batch(self, records: list[ConsumerRecord]) -> list[Outcome]:
        """Records of one partition, in offset order."""
        first = records[0]
        resume = self.households.resume_from(first.topic, first.partition) or 0
        records = [r for r in records if r.offset >= resume]  # stored before a crash
        if not records:
            return [Outcome("redelivered")]
        tracking = kafka_position(first.topic, first.partition, records[-1].offset)
        for attempt in (1, 2):
            try:
                return self._ingest(records, tracking)
            except Exception:
                if attempt == 2:
                    raise
                # Another writer touched a household (a rebalance in flight):
                # read everything afresh and try once more.
                log.warning("batch failed; retrying with fresh state", exc_info=True)
                self.households.forget_all()
        raise AssertionError("unreachable")

    def _ingest(self, records: list[ConsumerRecord], tracking) -> list[Outcome]:
        parsed: list[tuple[ConsumerRecord, object]] = []
        facts, fact_records = [], []
        for record in records:
            try:
                ev = parse_event(record.value)
                if record.key is not None and record.key != ev.household_id.encode():
                    raise Rejection(
                        "key_mismatch",
                        [
                            {
                                "field": "household_id",
                                "type": "key_mismatch",
                                "message": "the Kafka key differs from household_id",
                            }
                        ],
                    )
            except Rejection as r:
                parsed.append((record, r))
                continue
            parsed.append((record, ev))
            facts.append(
                Fact(
                    ev.type,
                    ev.household_id,
                    FactRef(ev.source, ev.event_id, ev.occurred_at, ev.digest()),
                    # The model's own field values: the models are flat
                    # and forbid extras, and dict(model) costs 7 µs.
                    dict(ev.data.__dict__),
                )
            )
            fact_records.append(record)
        names = take_names(facts)
        staged = self.households.stage(facts)
        by_record = dict(zip((id(r) for r in fact_records), staged.outcomes))
        if names and self.names is not None:
            stored = {
                f.household_id for f, o in zip(facts, staged.outcomes) if o.status == "stored"
            }
            self.names.keep({h: n for h, n in names.items() if h in stored})
        dead, outcomes, counts = [], [], []
        for record, item in parsed:
            if isinstance(item, Rejection):
                dead.append((record, item.as_dict()))
                outcomes.append(Outcome("rejected", item.code))
                counts.append(("invalid", self._claimed_source(record)))
                continue
            outcome = by_record[id(record)]
            if outcome.status == "conflict":
                dead.append(
                    (
                        record,
                        {
                            "code": "conflict",
                            "errors": [
                                {"field": "event_id", "type": "conflict", "message": outcome.detail}
                            ],
                        },
                    )
                )
            outcomes.append(outcome)
            counts.append((item.type, item.source))
        # The positions are recorded only once the DLQ has every rejected message.
        try:
            self._dead_letter(dead)
        except Exception:
            self.households.abandon(staged)  # uncommitted changes
            raise
        if not self.households.commit(staged, tracking):
            return [Outcome("redelivered")] * len(records)
        now, tally = time.time(), Counter()
        for record, outcome, (kind, source) in zip(records, outcomes, counts):
            tally[kind, source, outcome.status] += 1
            if outcome.status == "stored" and record.timestamp and record.timestamp > 0:
                INGEST_LATENCY.observe(max(now - record.timestamp / 1000, 0.0))
        for labels, n in tally.items():  # a labelled child costs ~2 µs to find
            EVENTS.labels(*labels).inc(n)
        return outcomes

    def _dead_letter(self, dead: list[tuple[ConsumerRecord, dict]]) -> None:
        if not dead:
            return
        # The sender is the account that signed the message, else the topic:
        # never the source the message claims (services/infra/senders.py).
        roster = self.accounts.roster() if self.accounts is not None else None
        senders = [sender_of(roster, r.headers, r.value, r.topic) for r, _ in dead]
        self.dlq.send_all(
            self.settings.dlq_topic,
            (
                (
                    record.key,
                    record.value,
                    [
                        ("povwatch.reason", json.dumps(reason, ensure_ascii=False).encode()),
                        ("povwatch.origin.topic", record.topic.encode()),
                        ("povwatch.origin.partition", str(record.partition).encode()),
                        ("povwatch.origin.offset", str(record.offset).encode()),
                        (SENDER, sender.encode()),
                    ],
                )
                for (record, reason), sender in zip(dead, senders)
            ),
        )
        for (record, reason), sender in zip(dead, senders):
            self._log_dead(record, reason, sender)

    def _log_dead(self, record: ConsumerRecord, reason: dict, sender: str) -> None:
        DLQ.labels(reason["code"], source_label(sender)).inc()
        log.warning(
            "message dead-lettered",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "reason": reason["code"],
                "fields": [e["field"] for e in reason["errors"]],
                "sender": sender,
            },
        )

    @staticmethod
    def _claimed_source(record: ConsumerRecord) -> str:
        """The source an invalid message claims, when it says one."""
        if record.value is None or len(record.value) > 65536:
            return "unknown"
        try:
            return source_label(json.loads(record.value).get("source"))
        except (ValueError, AttributeError, TypeError, RecursionError):
            return "unknown"

    def close(self) -> None:
        self.consumer.close()
        self.dlq.close()


def assignment(consumer) -> list[TopicPartition]:
    return sorted(consumer.assignment(), key=lambda tp: tp.partition)
