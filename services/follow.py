"""Following an application's notification log into a read model.

Polling the log works on both stores (SQLite has no push subscriptions); the
position is the view's own tracking record, written in the same transaction
as the documents, so a restart resumes exactly where the view stopped."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import Notification, Tracking

from services.metrics import PROJECTION_LATENCY, STORE_ERRORS, seconds_since
from services.views import DocumentView

log = logging.getLogger(__name__)


def follow(run_once: Callable[[], int], name: str, stop: threading.Event, interval: float = 0.1,
           leading: threading.Event | None = None) -> None:
    """Calls ``run_once`` until stopped: at once again while it finds work,
    after ``interval`` when it finds none, after a second when it fails (the
    store or the broker is away), and not at all while another process leads
    this work."""
    while not stop.is_set():
        if leading is not None and not leading.is_set():
            stop.wait(0.5)
            continue
        try:
            if not run_once():
                stop.wait(interval)
        except Exception:
            log.exception("%s failed; retrying", name)
            STORE_ERRORS.labels(name).inc()
            stop.wait(1.0)


class ViewFollower:
    def __init__(
        self,
        upstream: Application[Any],
        view: DocumentView[Any],
        build: Callable[[Sequence[Notification]], list[Any]],
        name: str,
    ) -> None:
        self.upstream, self.view, self.build, self.name = upstream, view, build, name
        # Held while writing, so that other writers of the view (a scheduled
        # re-evaluation) never interleave with the follower.
        self.lock = threading.Lock()

    def position(self) -> int:
        return self.view.max_tracking_id(self.upstream.name) or 0

    def run_once(self, limit: int = 2000) -> int:
        """Projects up to ``limit`` new notifications; returns how many."""
        with self.lock:
            notes = self.upstream.recorder.select_notifications(
                start=self.position() + 1, limit=limit
            )
            if notes:
                self.view.save(self.build(notes), Tracking(self.upstream.name, notes[-1].id))
        if notes:
            newest = self.upstream.mapper.to_domain_event(notes[-1])
            PROJECTION_LATENCY.labels(self.name).observe(seconds_since(newest.timestamp))
        return len(notes)

    def lag(self) -> int:
        """How many store events the view has yet to reflect."""
        return max((self.upstream.recorder.max_notification_id() or 0) - self.position(), 0)

    def catch_up(self) -> int:
        total = 0
        while n := self.run_once():
            total += n
        return total

    def follow(self, stop: threading.Event, interval: float = 0.1,
               leading: threading.Event | None = None) -> None:
        follow(self.run_once, self.name, stop, interval, leading)

    def rebuild(self) -> int:
        """Forgets the read model and projects the whole log again."""
        self.view.clear(self.upstream.name)
        return self.catch_up()
