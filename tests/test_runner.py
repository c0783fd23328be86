"""The log runner on its own, on SQLite and on PostgreSQL: an upstream
application's log followed through a step that keeps what it was given."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    InfrastructureFactory,
    Notification,
    Tracking,
    TrackingRecorder,
)
from eventsourcing.utils import Environment
from prometheus_client import REGISTRY

from services.infra.runner import LogRunner
from services.infra.settings import Settings


class Tally(Aggregate):
    pass


class Upstream(Application[UUID]):
    name = "Upstream"


class Keeper:
    """A step that keeps each recorded batch's notification ids, then the
    tracking record. ``fail``: the record calls (counted from 1) that raise
    before writing anything; ``gate``: when given, each record waits for it."""

    def __init__(self, positions: TrackingRecorder, fail: Collection[int] = ()) -> None:
        self.positions, self.fail = positions, set(fail)
        self.prepared: list[list[int]] = []
        self.recorded: list[list[int]] = []
        self.calls = 0
        self.gate: threading.Event | None = None
        # The stored position when each record started, and records in flight.
        self.position_at_start: list[int] = []
        self.in_flight = self.most_in_flight = 0
        self._count = threading.Lock()

    def prepare(self, notes: Sequence[Notification]) -> list[int]:
        ids = [n.id for n in notes]
        self.prepared.append(ids)
        return ids

    def record(self, ids: list[int], notes: Sequence[Notification], tracking: Tracking) -> None:
        with self._count:
            self.calls += 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            call = self.calls
        try:
            self.position_at_start.append(self.positions.max_tracking_id("Upstream") or 0)
            if self.gate is not None:
                assert self.gate.wait(10), "the gate was never opened"
            if call in self.fail:
                raise RuntimeError("the store went away")
            self.recorded.append(ids)
            self.positions.insert_tracking(tracking)
        finally:
            with self._count:
                self.in_flight -= 1


def tracking_recorder(settings: Settings) -> TrackingRecorder:
    env = Environment("Downstream", settings.store_env("Downstream"))
    return InfrastructureFactory.construct(env).tracking_recorder()


@pytest.fixture
def upstream(store_settings: Settings) -> Iterator[Upstream]:
    app = Upstream(env=store_settings.store_env("Upstream"))
    yield app
    app.close()


def append(app: Upstream, n: int) -> int:
    app.save(*[Tally() for _ in range(n)])
    return app.recorder.max_notification_id() or 0


def ids(first: int, last: int) -> list[int]:
    return list(range(first, last + 1))


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_resumes_from_its_recorded_position_after_a_restart(
    upstream: Upstream, store_settings: Settings
) -> None:
    top = append(upstream, 25)
    step = Keeper(tracking_recorder(store_settings))
    runner = LogRunner(upstream, step.positions, step, "tally", limit=10)
    assert runner.run_once() == 10 and runner.run_once() == 10
    assert runner.position() == 20 and step.recorded == [ids(1, 10), ids(11, 20)]

    # A new process: another upstream, recorder and step on the same stores.
    again = Upstream(env=store_settings.store_env("Upstream"))
    try:
        step = Keeper(tracking_recorder(store_settings))
        runner = LogRunner(again, step.positions, step, "tally", limit=10)
        assert runner.position() == 20
        assert runner.catch_up() == 5 and step.recorded == [ids(21, top)]
        assert runner.run_once() == 0 and runner.position() == top
    finally:
        again.close()


def test_a_failed_batch_records_nothing_and_is_read_again(
    upstream: Upstream, store_settings: Settings
) -> None:
    top = append(upstream, 25)
    step = Keeper(tracking_recorder(store_settings), fail={2})
    runner = LogRunner(upstream, step.positions, step, "tally", limit=10)
    assert runner.run_once() == 10
    with pytest.raises(RuntimeError):
        runner.run_once()
    assert runner.position() == 10 and runner.lag() == top - 10
    assert runner.catch_up() == 15
    assert step.prepared == [ids(1, 10), ids(11, 20), ids(11, 20), ids(21, 25)]
    assert step.recorded == [ids(1, 10), ids(11, 20), ids(21, 25)]


def test_following_retries_a_failed_batch_after_counting_the_error(
    upstream: Upstream, store_settings: Settings
) -> None:
    top = append(upstream, 25)
    step = Keeper(tracking_recorder(store_settings), fail={2})
    runner = LogRunner(upstream, step.positions, step, "tally_retry", limit=10)
    labels = {"component": "tally_retry"}
    errors = REGISTRY.get_sample_value("povwatch_store_errors_total", labels) or 0.0
    stop = threading.Event()
    thread = threading.Thread(target=runner.follow, args=(stop, 0.01))
    thread.start()
    try:
        wait_for(lambda: runner.position() == top, "the failed batch to be retried")
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert REGISTRY.get_sample_value("povwatch_store_errors_total", labels) == errors + 1
    assert step.recorded == [ids(1, 10), ids(11, 20), ids(21, 25)]


def test_lag_counts_the_notifications_not_yet_recorded(
    upstream: Upstream, store_settings: Settings
) -> None:
    step = Keeper(tracking_recorder(store_settings))
    runner = LogRunner(upstream, step.positions, step, "tally", limit=10)
    assert runner.lag() == 0 and runner.position() == 0
    top = append(upstream, 25)
    assert runner.lag() == top == 25
    runner.run_once()
    assert runner.lag() == 15
    runner.run_once(limit=3)
    assert runner.lag() == 12 and runner.position() == 13
    runner.catch_up()
    assert runner.lag() == 0
    append(upstream, 4)
    assert runner.lag() == 4


def test_reading_ahead_never_records_a_position_past_unsaved_work(
    upstream: Upstream, store_settings: Settings
) -> None:
    top = append(upstream, 25)
    step = Keeper(tracking_recorder(store_settings), fail={1, 4})
    step.gate = threading.Event()
    runner = LogRunner(upstream, step.positions, step, "tally", limit=10, pipelined=True)
    with ThreadPoolExecutor(1) as writer:
        assert runner.run_ahead(writer) == 10  # its record waits at the gate, then fails
        assert runner.position() == 0 and runner.lag() == top

        # The next batch is read and prepared while the first is unsaved, and
        # is not handed to the writer before the first has landed: here it
        # never lands, so the second batch is dropped, not recorded past it.
        second: list[BaseException | int] = []
        ahead = threading.Thread(target=lambda: second.append(attempt(runner, writer)))
        ahead.start()
        wait_for(lambda: len(step.prepared) == 2, "the second batch to be prepared")
        assert step.prepared[1] == ids(11, 20)
        assert runner.position() == 0 and step.calls == 1
        step.gate.set()
        ahead.join(10)
        assert isinstance(second[0], RuntimeError)
        assert runner.position() == 0 and step.recorded == []

        assert runner.run_ahead(writer) == 10  # 1-10 again, from the stored position
        assert runner.run_ahead(writer) == 10
        assert runner.run_ahead(writer) == 5  # 21-25: its record will fail
        with pytest.raises(RuntimeError):
            runner.run_ahead(writer)  # the failure is reported, nothing new sent
        assert runner.position() == 20  # only what was stored
        assert runner.run_ahead(writer) == 5  # 21-25 again
        assert runner.run_ahead(writer) == 0  # nothing new: the last record has landed
    assert runner.position() == top
    assert step.most_in_flight == 1
    # Each record started from the position its predecessor stored.
    assert step.position_at_start == [0, 0, 10, 20, 20]
    assert step.recorded == [ids(1, 10), ids(11, 20), ids(21, 25)]


def attempt(runner: LogRunner[list[int]], writer: ThreadPoolExecutor) -> BaseException | int:
    try:
        return runner.run_ahead(writer)
    except Exception as e:
        return e


@pytest.mark.parametrize("pipelined", [False, True], ids=["in_turn", "ahead"])
def test_following_waits_while_another_process_leads(
    upstream: Upstream, store_settings: Settings, pipelined: bool
) -> None:
    top = append(upstream, 25)
    step = Keeper(tracking_recorder(store_settings))
    runner = LogRunner(upstream, step.positions, step, "tally", limit=10, pipelined=pipelined)
    stop, leading = threading.Event(), threading.Event()
    thread = threading.Thread(target=runner.follow, args=(stop, 0.01, leading))
    thread.start()
    try:
        time.sleep(0.8)  # longer than the pause between checks of the lead
        assert step.prepared == [] and runner.position() == 0
        leading.set()
        wait_for(lambda: runner.position() == top, "the leader to catch up")
        leading.clear()
        time.sleep(0.6)  # a pass in hand when the lead was lost may end
        more = append(upstream, 5)
        time.sleep(0.8)
        assert runner.position() == top and runner.lag() == more - top
        leading.set()
        wait_for(lambda: runner.position() == more, "the leader to follow again")
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert [i for batch in step.recorded for i in batch] == ids(1, 30)
