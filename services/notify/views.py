"""The pushes' read models: the groups (what waits and when it may go) and
the deliveries (queued, sent, the last failure), written from the notify
store's log with its position."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from domain.notify import NotifyConfig
from domain.outbox import Delivery, Outbox
from schemas.notify import DeliveryOut, OutboxOut
from services.infra.views import PostgresDocumentView, SQLiteDocumentView, Table
from services.notify.app import Notify

OUTBOXES = Table(
    name="outboxes",
    key="outbox_id",
    columns=("receiver", "township", "sends_at"),
    model=OutboxOut,
    order="sends_at",
    sums=("waiting",),
)
DELIVERIES = Table(
    name="deliveries",
    key="delivery_id",
    columns=("key", "receiver", "township", "state", "next_at", "queued_at"),
    model=DeliveryOut,
    order="next_at",
)
OUTBOX_TOPIC = get_topic(Outbox) + "."
DELIVERY_TOPIC = get_topic(Delivery) + "."


class SQLiteOutboxView(SQLiteDocumentView[OutboxOut]):
    table = OUTBOXES


class PostgresOutboxView(PostgresDocumentView[OutboxOut]):
    table = OUTBOXES


class SQLiteDeliveryView(SQLiteDocumentView[DeliveryOut]):
    table = DELIVERIES


class PostgresDeliveryView(PostgresDocumentView[DeliveryOut]):
    table = DELIVERIES


OutboxView = SQLiteOutboxView | PostgresOutboxView
DeliveryView = SQLiteDeliveryView | PostgresDeliveryView


def stamp(at: datetime | str) -> str:
    """A time as the views store it: UTC with microseconds, one fixed width,
    so that comparing the text compares the times."""
    moment = datetime.fromisoformat(at) if isinstance(at, str) else at
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def outbox_doc(box: Outbox, config: NotifyConfig) -> OutboxOut:
    receiver = next((r for r in config.receivers if r.id == box.receiver), None)
    sends_at = None
    if receiver is not None:
        when = box.sends_at(config.grouping_of(receiver), receiver.quiet_hours)
        sends_at = stamp(when) if when else None
    return OutboxOut(
        outbox_id=str(box.id),
        receiver=box.receiver,
        township=box.township,
        waiting=len(box.waiting),
        sends_at=sends_at,
        messages=box.messages,
    )


def delivery_doc(d: Delivery) -> DeliveryOut:
    return DeliveryOut(
        delivery_id=str(d.id),
        key=d.key,
        receiver=d.receiver,
        township=d.township,
        state=d.state,  # type: ignore[arg-type]
        queued_at=stamp(d.queued_at),
        next_at=stamp(d.next_at),
        attempts=d.attempts,
        last_error=d.last_error,
        sent_at=d.sent_at,
        notices=len(d.notices),
    )


def docs(notify: Notify, notes: Sequence[Notification], kind: str) -> list[Any]:
    """The current documents of the groups (``kind="outbox"``) or the
    deliveries the notifications changed."""
    prefix = OUTBOX_TOPIC if kind == "outbox" else DELIVERY_TOPIC
    ids = dict.fromkeys(cast(UUID, n.originator_id) for n in notes if n.topic.startswith(prefix))
    found = [notify._get(i) for i in ids]
    if kind == "outbox":
        return [outbox_doc(b, notify.config) for b in found if b is not None]
    return [delivery_doc(d) for d in found if d is not None]
