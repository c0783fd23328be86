"""The dead-letter follower: reads the monitor's dead-letter topic in a
consumer group of its own and keeps each rejected message's envelope codes
and reasons (never its data) in the rejections table. A row's key is the
dead-letter record's own position, so a re-read writes the same row again:
offsets are committed to Kafka only after the rows are stored. A row is
filed under the sender the monitor established (the signing account's
department, else the topic), never under the source the message claims."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

from domain.feeds import month_of, reason_zh
from domain.privacy import PersonalNumber, check_ref, no_personal_numbers
from schemas.feeds import ProblemOut, RejectionOut
from services.infra import kafka
from services.infra.metrics import source_label
from services.infra.runner import follow
from services.infra.senders import SENDER, TOPIC, topic_sender
from services.infra.settings import Settings

log = logging.getLogger(__name__)
WITHHELD = "(withheld: it looked like a personal number)"


def _code(value: object) -> str | None:
    """An envelope code kept only when it is a short text and no personal number."""
    if not isinstance(value, str) or not value or len(value) > 100:
        return None
    try:
        return check_ref(value)
    except PersonalNumber:
        return None


def _text(value: object) -> str:
    text = str(value)[:300]
    try:
        return no_personal_numbers(text)
    except PersonalNumber:
        return WITHHELD


def _sender(headers: dict[str, str]) -> str:
    """The monitor's header; a dead letter written before it had one is its
    origin topic's, as an unsigned message is now."""
    sender = headers.get(SENDER) or topic_sender(headers.get("povwatch.origin.topic", "?"))
    if sender.startswith(TOPIC) and len(sender) <= 255:
        return sender
    return source_label(sender)


def rejection_of(record: Any) -> RejectionOut:
    """A dead-letter record (its value the original message, its headers the
    reason and origin) as the table keeps it."""
    headers = {k: v.decode(errors="replace") for k, v in (record.headers or [])}
    try:
        reason = json.loads(headers.get("povwatch.reason", "{}"))
    except ValueError:
        reason = {}
    try:
        envelope = json.loads(record.value) if record.value and len(record.value) < 65536 else {}
    except (ValueError, RecursionError):
        envelope = {}
    if not isinstance(envelope, dict):
        envelope = {}
    at = datetime.fromtimestamp(record.timestamp / 1000, UTC)
    problems = [
        ProblemOut(
            field=_text(e.get("field", "")),
            type=_text(e.get("type", "")),
            message=_text(e.get("message", "")),
            reason_zh=reason_zh(_text(e.get("field", "")), str(e.get("type", ""))),
        )
        for e in reason.get("errors", [])
        if isinstance(e, dict)
    ] or [ProblemOut(field="", type="", message="", reason_zh=reason_zh("", ""))]
    first = problems[0]
    origin = ":".join(
        headers.get(f"povwatch.origin.{k}", "?") for k in ("topic", "partition", "offset")
    )
    return RejectionOut(
        # Newest first in key order: the time counted down, then the position.
        key=f"{10**13 - record.timestamp:013d}-{record.partition:04d}-{record.offset:012d}",
        source=_sender(headers),
        month=month_of(at),
        reason=f"{first.field}|{first.type}",
        rejected_at=at,
        code=_text(reason.get("code", "invalid")),
        event_id=_code(envelope.get("event_id")),
        type=_code(envelope.get("type")),
        household_id=_code(envelope.get("household_id")),
        origin=_text(origin),
        problems=problems,
    )


class DeadLetterFollower:
    """Runs as the alerts process's other followers do (``follow``,
    ``run_once``, ``lag``); any number of processes may run one: the group
    shares the partitions and the rows are the same whoever writes them."""

    name = "feed_rejections"

    def __init__(self, settings: Settings, rejections: Any) -> None:
        self.settings, self.rejections = settings, rejections
        self.lock = threading.Lock()
        # A fresh metadata view every half minute: a topic created after the
        # consumer joined is assigned then, not at the default five minutes.
        self.consumer = kafka.consumer(
            settings, f"{settings.monitor_group}-feeds", metadata_max_age_ms=30_000
        )
        # Joining before the topic's partitions are known leaves the consumer
        # without an assignment until the next metadata refresh (as the ingestor).
        deadline = time.monotonic() + 10
        while not self.consumer.partitions_for_topic(settings.dlq_topic):
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.consumer.subscribe([settings.dlq_topic])

    def run_once(self, limit: int | None = None) -> int:
        with self.lock:
            batch = self.consumer.poll(timeout_ms=200, max_records=limit or 500)
            rows = [rejection_of(r) for records in batch.values() for r in records]
            if rows:
                self.rejections.save(rows, None)
                self.consumer.commit()
            return len(rows)

    def catch_up(self) -> int:
        total = 0
        while n := self.run_once():
            total += n
        return total

    def lag(self) -> int:
        total = 0
        for tp in self.consumer.assignment():
            high = self.consumer.highwater(tp)
            if high is not None:
                total += max(high - self.consumer.position(tp), 0)
        return total

    def follow(self, stop: threading.Event, interval: float = 0.5, leading: Any = None) -> None:
        # Every process reads its share, leading or not: no ``leading`` wait.
        try:
            follow(self.run_once, self.name, stop, interval)
        finally:
            self.close()

    def close(self) -> None:
        with self.lock:
            self.consumer.close()
