"""A what-if over the households' store: every household's stream read once,
in key order, as a rebuild reads it (``services.households.reads.replay``),
each household compared under both regimes (``domain.whatif.compare``), in
processes that each take one range of household ids and hand back their
part of the summary and their changed households. Nothing is written: not
the store, not the risk status view."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from domain.whatif import Change, Comparison, Regime, Summary
from services.households.app import Households
from services.households.reads import replay
from services.households.statusview import open_view
from services.infra.runtime import tune_gc
from services.infra.settings import Settings

TICK = 500  # households a process counts before it says so
Progress = Callable[[int, int | None], None]  # households done, households in the view


@dataclass
class Part:
    summary: Summary = field(default_factory=Summary)
    changes: list[Change] = field(default_factory=list)
    households: int = 0
    events: int = 0


@dataclass(frozen=True)
class Outcome:
    on: date
    summary: Summary
    changes: list[Change]  # by township, village and household
    households: int
    events: int
    seconds: float
    workers: int


def readers(settings: Settings) -> int:
    """Processes a what-if reads with by default: the cores, up to four. It
    only reads, so unlike a rebuild it spreads over the cores on SQLite too."""
    return min(os.cpu_count() or 1, 4)


def open_households(settings: Settings) -> Households:
    # The tables exist (a what-if reads a store the monitor keeps); workers
    # creating them at once would race in the catalogue.
    # The scan's cursor waits in its transaction while the process compares
    # the rows it fetched; on a busy machine that outlasts the library's 5 s.
    env = {**settings.store_env("Monitor"), "CREATE_TABLE": "false"}
    return Households(env={**env, "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "600"})


def household_count(settings: Settings) -> int | None:
    """How many households the risk status view holds: the progress's total
    (None when there is no view to ask)."""
    try:
        view = open_view(settings, create=False)
    except Exception:  # no view yet: progress without a total
        return None
    try:
        return view.search(limit=1).total
    except Exception:
        return None
    finally:
        view.datastore.close()


def assess_range(
    households: Households,
    current: Regime,
    proposed: Regime,
    on: date,
    top: int,
    bounds: tuple[UUID | None, UUID | None] = (None, None),
    tick: Callable[[int], None] = lambda n: None,
) -> Part:
    """One range of household ids, as of notification ``top``."""
    part = Part()
    lo, hi = bounds
    # A county's changed households share a few sides and places: kept once,
    # they cost a process (and the pickle that hands them back) a pointer each.
    shared: dict[Any, Any] = {}
    comparison = Comparison(current, proposed, on)
    for sheet, events in replay(households, top, lo, hi):
        change = comparison.of(sheet.facts)
        part.summary.add(change)
        if change.changed:
            part.changes.append(
                Change(
                    change.household_id,
                    shared.setdefault(change.township, change.township),
                    shared.setdefault(change.village, change.village),
                    shared.setdefault(change.current, change.current),
                    shared.setdefault(change.proposed, change.proposed),
                )
            )
        part.households += 1
        part.events += events
        if part.households % TICK == 0:
            tick(TICK)
    tick(part.households % TICK)
    return part


_done: Any = None  # a worker's shared counter of households done


def _start_worker(counter: Any) -> None:
    global _done
    tune_gc()  # a process of its own
    _done = counter


def _count(n: int) -> None:
    with _done.get_lock():
        _done.value += n


def _worker(
    settings: Settings,
    current: Regime,
    proposed: Regime,
    on: date,
    top: int,
    lo: UUID | None,
    hi: UUID | None,
) -> Part:
    """One process's range (a module function: it is pickled)."""
    households = open_households(settings)
    try:
        return assess_range(households, current, proposed, on, top, (lo, hi), _count)
    finally:
        households.close()


def run(
    settings: Settings,
    current: Regime,
    proposed: Regime,
    on: date,
    workers: int | None = None,
    progress: Progress = lambda done, total: None,
) -> Outcome:
    """The what-if on ``on`` over the whole store as it stands when it starts."""
    started = time.perf_counter()
    n = workers or readers(settings)
    total = household_count(settings)
    households = open_households(settings)
    try:
        top = households.recorder.max_notification_id() or 0
        if n == 1 or not top:
            done = [0]

            def tick(k: int) -> None:
                done[0] += k
                progress(done[0], total)

            parts = [assess_range(households, current, proposed, on, top, tick=tick)]
        else:
            parts = _in_processes(settings, current, proposed, on, top, n, total, progress)
    finally:
        households.close()
    summary, changes = Summary(), []
    for part in parts:
        summary.merge(part.summary)
        changes.extend(part.changes)
    changes.sort(key=lambda c: (c.township or "\uffff", c.village or "", c.household_id))
    return Outcome(
        on,
        summary,
        changes,
        sum(p.households for p in parts),
        sum(p.events for p in parts),
        time.perf_counter() - started,
        n,
    )


def _in_processes(
    settings: Settings,
    current: Regime,
    proposed: Regime,
    on: date,
    top: int,
    workers: int,
    total: int | None,
    progress: Progress,
) -> list[Part]:
    """Equal ranges of the id space (ids are uuid5 digests: evenly spread)."""
    bounds: list[UUID | None] = [
        None,
        *(UUID(int=(2**128 * k) // workers) for k in range(1, workers)),
        None,
    ]
    spawn = multiprocessing.get_context("spawn")  # no threads or connections inherited
    counter = spawn.Value("q", 0)
    with ProcessPoolExecutor(
        workers, mp_context=spawn, initializer=_start_worker, initargs=(counter,)
    ) as pool:
        futures: list[Future[Part]] = [
            pool.submit(_worker, settings, current, proposed, on, top, lo, hi)
            for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)
        ]
        pending: set[Future[Part]] = set(futures)
        while pending:
            _, pending = wait(pending, timeout=0.5, return_when=FIRST_EXCEPTION)
            progress(counter.value, total)
            for f in futures:
                if f.done() and f.exception() is not None:
                    raise f.exception()  # type: ignore[misc]
    return [f.result() for f in futures]
