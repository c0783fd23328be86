"""Following an application's notification log into a read model.

Polling the log works on both stores (SQLite has no push subscriptions); the
position is the view's own tracking record, written in the same transaction
as the documents, so a restart resumes exactly where the view stopped."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import Notification, Tracking

from services.infra.metrics import PROJECTION_LATENCY, STORE_ERRORS, seconds_since
from services.infra.views import DocumentView

log = logging.getLogger(__name__)


def follow(
    run_once: Callable[[], int],
    name: str,
    stop: threading.Event,
    interval: float = 0.1,
    leading: threading.Event | None = None,
) -> None:
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

        # The save in flight while following, and the position it records.
        self._pending: Future[None] | None = None
        self._pending_upto = 0

    def position(self) -> int:
        return self.view.max_tracking_id(self.upstream.name) or 0

    def run_once(self, limit: int = 2000) -> int:
        """Projects up to ``limit`` new notifications; returns how many, all
        of them in the view when it returns."""
        with self.lock:
            self.settle()
            notes = self.upstream.recorder.select_notifications(
                start=self.position() + 1, limit=limit
            )
            if notes:
                self.view.save(self.build(notes), Tracking(self.upstream.name, notes[-1].id))
                self._observe(notes)
        return len(notes)

    def run_ahead(self, writer: Executor, limit: int = 2000) -> int:
        """As ``run_once``, but hands the save to ``writer`` and returns: the
        next batch is read and built while the store writes this one (the
        projector otherwise waited a third of its time on the view's upserts).
        One save at most is in flight, and each waits for the one before, so
        the view's position only ever moves past stored documents."""
        with self.lock:
            if self._pending is not None and self._pending.done():
                self.drain()  # landed: read the position from the view again
            start = self._pending_upto if self._pending is not None else self.position()
            notes = self.upstream.recorder.select_notifications(start=start + 1, limit=limit)
            if not notes:
                self.drain()
                return 0
            docs = self.build(notes)
            self.drain()  # raises if the last batch failed: this one is dropped, and read again
            tracking = Tracking(self.upstream.name, notes[-1].id)
            self._pending = writer.submit(self._save, docs, tracking, notes)
            self._pending_upto = notes[-1].id
        return len(notes)

    def drain(self) -> None:
        """Waits for the save in flight, if any; raises its error."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def settle(self) -> None:
        """Waits for the save in flight, if any, for a caller that reads the
        view's position afresh: a failed save is logged, not raised (its
        batch is read again from that position)."""
        try:
            self.drain()
        except Exception:
            log.warning("%s: a batch was not saved; it is read again", self.name, exc_info=True)

    def _save(self, docs: list[Any], tracking: Tracking, notes: Sequence[Notification]) -> None:
        self.view.save(docs, tracking)
        self._observe(notes)

    def _observe(self, notes: Sequence[Notification]) -> None:
        newest = self.upstream.mapper.to_domain_event(notes[-1])
        PROJECTION_LATENCY.labels(self.name).observe(seconds_since(newest.timestamp))

    def lag(self) -> int:
        """How many store events the view has yet to reflect."""
        return max((self.upstream.recorder.max_notification_id() or 0) - self.position(), 0)

    def catch_up(self) -> int:
        total = 0
        while n := self.run_once():
            total += n
        return total

    def follow(
        self, stop: threading.Event, interval: float = 0.1, leading: threading.Event | None = None
    ) -> None:
        writer = ThreadPoolExecutor(1, thread_name_prefix=f"{self.name}-writer")
        try:
            follow(lambda: self.run_ahead(writer), self.name, stop, interval, leading)
        finally:
            with self.lock:
                self.settle()
            writer.shutdown()

    def rebuild(self) -> int:
        """Forgets the read model and projects the whole log again."""
        with self.lock:
            self.settle()
            self.view.clear(self.upstream.name)
        return self.catch_up()
