"""The risk status projection: follows the households' store and keeps one
status per household current, evaluated on the clock's date."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from itertools import repeat
from uuid import UUID

from eventsourcing.persistence import Notification, Tracking

from domain import countyday
from domain.facts import FactSheet
from domain.policy import PolicyBook
from domain.risk import RiskStatus, assess
from services.households.app import Households
from services.households.cache import CacheSettings, PackedCache
from services.households.ids import household_id
from services.households.packing import pack_sheet, unpack_sheet
from services.households.reads import advance, load_many, replay
from services.households.statusview import RiskStatusView, open_view
from services.infra.follow import ViewFollower
from services.infra.policyfile import load_policies
from services.infra.runtime import tune_gc
from services.infra.settings import Settings


def rebuild_workers(settings: Settings) -> int:
    """Processes a rebuild uses by default: the cores, on PostgreSQL (SQLite
    takes one writer at a time)."""
    return min(os.cpu_count() or 1, 4) if settings.store == "postgres" else 1


def _rebuild_range(
    settings: Settings, top: int, on: date, lo: UUID | None, hi: UUID | None, batch: int
) -> int:
    """One worker's part of a parallel rebuild (a module function: it is pickled)."""
    tune_gc()  # a process of its own
    # The tables exist: workers creating them at once would race in the catalogue.
    households = Households(env={**settings.store_env("Monitor"), "CREATE_TABLE": "false"})
    view = open_view(settings, create=False)
    try:
        projection = RiskStatusProjection(households, view, load_policies(settings), lambda: on)
        return projection._rebuild_range(top, on, lo, hi, batch)
    finally:
        households.close()
        view.datastore.close()


class RiskStatusProjection(ViewFollower):
    def __init__(
        self,
        households: Households,
        view: RiskStatusView,
        policies: PolicyBook,
        today: Callable[[], date] = countyday.today,
        cache: CacheSettings = CacheSettings(spilling_objects=2_000),
    ) -> None:
        super().__init__(households, view, self._statuses, "risk_status")
        self.households, self.policies, self.today = households, policies, today
        # Households' fact sheets as the projection last saw them, advanced
        # by the events the notifications carry (no store read for a cached
        # household); in a county of more than twice the objects, a batch's
        # worth as objects (the follower reads 2,000 notifications at a time).
        self.cache = PackedCache(cache, pack_sheet, unpack_sheet)

    def status_of(self, household: FactSheet, on: date) -> RiskStatus:
        # The domain's own dataclass: the view writes it as RiskStatusOut.
        return assess(household.facts, self.policies.in_force(on), on)

    def _statuses(self, notes: Sequence[Notification]) -> list[RiskStatus]:
        on = self.today()
        touched = advance(self.households, self.cache, notes)
        return [self.status_of(h, on) for h in touched.values()]

    def rebuild(self, batch: int = 2000, workers: int = 1, settings: Settings | None = None) -> int:
        """Forgets the view and assesses every household once, from the whole
        store read in key order; returns how many events it replayed. With
        ``workers`` > 1, processes (opened from ``settings``) each replay one
        range of household ids: decoding the events is the cost, and it is
        spread over the cores."""
        with self.lock:
            self.settle()  # the follower's save in flight lands before the view is cleared
            self.cache.clear()
            self.view.clear(self.households.name)
            top = self.households.recorder.max_notification_id() or 0
            on = self.today()
            if workers > 1:
                if settings is None:
                    raise ValueError(
                        "a rebuild in several processes needs the settings to open the store"
                    )
                bounds: list[UUID | None] = [
                    None,
                    *(UUID(int=(2**128 * k) // workers) for k in range(1, workers)),
                    None,
                ]
                spawn = multiprocessing.get_context("spawn")  # no threads or connections inherited
                with ProcessPoolExecutor(workers, mp_context=spawn) as pool:
                    replayed = sum(
                        pool.map(
                            _rebuild_range,
                            repeat(settings),
                            repeat(top),
                            repeat(on),
                            bounds[:-1],
                            bounds[1:],
                            repeat(batch),
                        )
                    )
            else:
                replayed = self._rebuild_range(top, on, None, None, batch)
            # The position last: a rebuild cut short starts over.
            self.view.save([], Tracking(self.households.name, top) if top else None)
        return replayed

    def _rebuild_range(
        self, top: int, on: date, lo: UUID | None, hi: UUID | None, batch: int
    ) -> int:
        docs, replayed = [], 0
        for household, events in replay(self.households, top, lo, hi):
            docs.append(self.status_of(household, on))
            replayed += events
            if len(docs) >= batch:
                self.view.save(docs, None)
                docs = []
        if docs:
            self.view.save(docs, None)
        return replayed

    def reevaluate(self, batch: int = 500) -> int:
        """Re-evaluates every household on today's date: the 12-month window
        moves and loans fall due even when no department speaks. Walks the
        view in key order a page at a time, reading each page's households
        in one query; the follower waits only for the page in hand."""
        on, after, done = self.today(), None, 0
        while True:
            with self.lock:
                self.settle()  # no follower save lands between these writes
                codes = self.view.keys(after=after, limit=batch)
                if not codes:
                    return done
                found = load_many(self.households, [household_id(c) for c in codes])
                statuses = [self.status_of(h, on) for h in found.values()]
                self.view.save(statuses, None)
            done += len(statuses)
            after = codes[-1]
