"""The pushes' parts as the alerts process wires them: the notify store, its
two views and their followers, the follower of the cases' log and the
dispatcher with a sender per receiver."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

import httpx

from domain import countyday
from domain.cases import Case
from domain.notify import NotifyConfig
from domain.procedure import Procedure
from domain.tasks import Silence
from services.infra import views
from services.infra.follow import ViewFollower
from services.infra.notifyfile import read_secret
from services.infra.settings import Settings
from services.notify.app import Notify
from services.notify.dispatch import Dispatcher
from services.notify.messages import Term
from services.notify.notices import NoticeFollower, scan
from services.notify.senders import sender_for
from services.notify.views import (
    DeliveryView,
    OutboxView,
    PostgresDeliveryView,
    PostgresOutboxView,
    SQLiteDeliveryView,
    SQLiteOutboxView,
    docs,
)


@dataclass
class NotifyParts:
    notify: Notify
    outboxes: OutboxView
    deliveries: DeliveryView
    view_followers: list[ViewFollower]
    dispatcher: Dispatcher

    def close(self) -> None:
        self.notify.close()
        self.outboxes.datastore.close()
        self.deliveries.datastore.close()


def open_notify(
    settings: Settings, config: NotifyConfig, term: Term, clock: Callable[[], datetime]
) -> NotifyParts:
    notify = settings.open_store(
        lambda: Notify(settings.store_env("Notify"), config), "the notify store"
    )

    def view(name: str, sqlite: type, postgres: type) -> Any:
        return settings.open_store(
            lambda: views.open_view(settings.store_env(name), name, sqlite, postgres),
            f"the {name.lower()} view",
        )

    outboxes: OutboxView = view("Outboxes", SQLiteOutboxView, PostgresOutboxView)
    deliveries: DeliveryView = view("Deliveries", SQLiteDeliveryView, PostgresDeliveryView)
    followers = [
        ViewFollower(notify, outboxes, partial(docs, notify, kind="outbox"), "outboxes"),
        ViewFollower(notify, deliveries, partial(docs, notify, kind="delivery"), "deliveries"),
    ]
    client = httpx.Client(timeout=10)
    senders = {
        r.id: sender_for(r, config.smtp, partial(read_secret, owner=f"receiver {r.id}"), client)
        for r in config.receivers
    }
    dispatcher = Dispatcher(notify, outboxes, deliveries, senders, term, clock)
    return NotifyParts(notify, outboxes, deliveries, followers, dispatcher)


def notice_follower(
    cases: Any,
    parts: NotifyParts,
    case_at: Callable[[UUID, int], Case],
    procedure: Callable[[], Procedure],
    silences: Callable[[], Sequence[Silence]],
) -> NoticeFollower:
    return NoticeFollower(cases, parts.notify, case_at, procedure, silences)


def scan_job(
    parts: NotifyParts,
    open_cases: Callable[[], Iterable[Any]],
    procedure: Callable[[], Procedure],
    silences: Callable[[], Sequence[Silence]],
    clock: Callable[[], datetime],
) -> Callable[[], int]:
    """The morning's scan: stages due tomorrow and overdue, offered to their
    receivers (a condition already pushed waits for its repeat interval)."""

    def run() -> int:
        now = clock()
        today = countyday.day(now)
        notices = scan(open_cases(), now, today, procedure())
        return parts.notify.offer(notices, silences(), now=now)

    return run
