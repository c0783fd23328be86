"""Running a step over an application's notification log.

Polling the log works on both stores (SQLite has no push subscriptions). A
runner owns what every follower of a log shares: the position (a tracking
record of the upstream application's name, kept where the step writes its
work), reading the next batch from it, lag, run-once, catch-up, following
until stopped, and optionally reading ahead while the last batch is written.
What a batch does is the step's: it prepares the batch's work without
recording anything, then records the work with the batch's tracking record,
atomically where the store allows. A batch whose recording fails leaves the
position where it was, so the same batch is read and prepared again."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any, Generic, Protocol, TypeVar

from eventsourcing.application import Application
from eventsourcing.persistence import Notification, Tracking, TrackingRecorder

from services.infra.metrics import STORE_ERRORS

log = logging.getLogger(__name__)

W = TypeVar("W")


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


class Step(Protocol[W]):
    """What a runner does with each batch of notifications."""

    def prepare(self, notes: Sequence[Notification]) -> W:
        """The batch's work that records nothing (reading, building). It may
        be called again for the same notifications after a failed record."""
        ...

    def record(self, work: W, notes: Sequence[Notification], tracking: Tracking) -> None:
        """Writes the work and ``tracking`` (the batch's last notification),
        the tracking record last or in the same transaction: when this
        raises, the position has not moved past the batch."""
        ...


class LogRunner(Generic[W]):
    """Follows ``upstream``'s notification log through ``step``, its position
    being ``positions``' tracking record of ``upstream.name``.

    ``pipelined``: while following, a batch's record runs on a writer thread
    as the next batch is read and prepared. At most one record is in flight,
    and each starts after the one before has landed, so the recorded position
    never passes work that is not stored."""

    def __init__(
        self,
        upstream: Application[Any],
        positions: TrackingRecorder,
        step: Step[W],
        name: str,
        limit: int = 2000,
        pipelined: bool = False,
    ) -> None:
        self.upstream, self.positions, self.step, self.name = upstream, positions, step, name
        self.limit, self.pipelined = limit, pipelined
        # Held while a batch is read and handed on, so that other writers of
        # the step's store (a rebuild, a scheduled re-evaluation) can hold it
        # and never interleave with the runner.
        self.lock = threading.Lock()
        # The record in flight while following ahead, and the position it records.
        self._pending: Future[None] | None = None
        self._pending_upto = 0

    def position(self) -> int:
        """The last notification recorded as done."""
        return self.positions.max_tracking_id(self.upstream.name) or 0

    def lag(self) -> int:
        """How many notifications the step has yet to record."""
        return max((self.upstream.recorder.max_notification_id() or 0) - self.position(), 0)

    def _read(self, after: int, limit: int | None) -> Sequence[Notification]:
        return self.upstream.recorder.select_notifications(
            start=after + 1, limit=limit or self.limit
        )

    def _record(self, work: W, notes: Sequence[Notification]) -> None:
        self.step.record(work, notes, Tracking(self.upstream.name, notes[-1].id))

    def run_once(self, limit: int | None = None) -> int:
        """Handles up to ``limit`` new notifications; returns how many, all
        of them recorded when it returns."""
        with self.lock:
            self.settle()  # a record in flight lands first: the position is read afresh
            notes = self._read(self.position(), limit)
            if notes:
                self._record(self.step.prepare(notes), notes)
        return len(notes)

    def run_ahead(self, writer: Executor, limit: int | None = None) -> int:
        """As ``run_once``, but hands the record to ``writer`` and returns:
        the next batch is read and prepared while this one is written. Raises
        the error of the last record, if it failed: the batch in hand is then
        dropped, and the next call reads again from the recorded position."""
        with self.lock:
            if self._pending is not None and self._pending.done():
                self.drain()  # landed: read the position from the store again
            start = self._pending_upto if self._pending is not None else self.position()
            notes = self._read(start, limit)
            if not notes:
                self.drain()
                return 0
            work = self.step.prepare(notes)
            # Only after the last record has landed does this one start: the
            # position it writes never passes unstored work.
            self.drain()
            self._pending = writer.submit(self._record, work, notes)
            self._pending_upto = notes[-1].id
        return len(notes)

    def drain(self) -> None:
        """Waits for the record in flight, if any; raises its error."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def settle(self) -> None:
        """Waits for the record in flight, if any, for a caller that reads
        the position afresh: a failed record is logged, not raised (its batch
        is read again from that position)."""
        try:
            self.drain()
        except Exception:
            log.warning("%s: a batch was not recorded; it is read again", self.name, exc_info=True)

    def catch_up(self) -> int:
        """Runs until no notification is left; returns how many were handled."""
        total = 0
        while n := self.run_once():
            total += n
        return total

    def follow(
        self, stop: threading.Event, interval: float = 0.1, leading: threading.Event | None = None
    ) -> None:
        """Runs until ``stop`` is set, while ``leading`` is set (when given);
        errors are logged, counted and retried after a pause."""
        if not self.pipelined:
            follow(self.run_once, self.name, stop, interval, leading)
            return
        writer = ThreadPoolExecutor(1, thread_name_prefix=f"{self.name}-writer")
        try:
            follow(lambda: self.run_ahead(writer), self.name, stop, interval, leading)
        finally:
            with self.lock:
                self.settle()
            writer.shutdown()
