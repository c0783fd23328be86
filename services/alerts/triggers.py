"""Hands each household with new facts to the alert rules."""

from __future__ import annotations

import threading

from services.alerts.app import Alerts
from services.households.app import Households
from services.households.cache import CacheSettings, PackedCache
from services.households.packing import pack_sheet, unpack_sheet
from services.households.reads import advance
from services.infra.follow import follow
from services.infra.metrics import TRIGGERS


class TriggerFollower:
    """Hands each household with new facts to the alert rules.

    A batch of store notifications is evaluated household by household; a
    household that a rule picks is handled in its own transaction (idempotent:
    one open task per household, task ids derived from it), and the batch's
    position is recorded last, so a crash re-evaluates at most one batch and
    never makes a second task."""

    def __init__(
        self, households: Households, alerts: Alerts, cache: CacheSettings = CacheSettings()
    ) -> None:
        self.households, self.alerts = households, alerts
        self.cache = PackedCache(cache, pack_sheet, unpack_sheet)

    def position(self) -> int:
        return self.alerts.recorder.max_tracking_id(self.households.name) or 0

    def run_once(self, limit: int = 2000) -> int:
        notes = self.households.recorder.select_notifications(
            start=self.position() + 1, limit=limit
        )
        if not notes:
            return 0
        touched = advance(self.households, self.cache, notes)
        book = self.alerts.silence_book()  # once a batch, unless it changes
        for household in touched.values():
            outcome = self.alerts.handle(household, book=book)
            TRIGGERS.labels(outcome).inc()
            if outcome == "silence_ended":
                book = self.alerts.silence_book()
        self.alerts.finish_job(self.households.name, notes[-1].id, position=True)
        return len(notes)

    def follow(
        self, stop: threading.Event, interval: float = 0.1, leading: threading.Event | None = None
    ) -> None:
        follow(self.run_once, "alert_triggers", stop, interval, leading)

    def lag(self) -> int:
        return max((self.households.recorder.max_notification_id() or 0) - self.position(), 0)
