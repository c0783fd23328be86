"""Hands each household with new facts to the alert rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast
from uuid import UUID

from eventsourcing.persistence import Notification, Tracking, TrackingRecorder

from domain.facts import FactSheet
from services.alerts.app import Alerts
from services.households.app import Households
from services.households.cache import CacheSettings, PackedCache
from services.households.packing import pack_sheet, unpack_sheet
from services.households.reads import advance
from services.infra.metrics import TRIGGERS
from services.infra.runner import LogRunner


class TriggerFollower(LogRunner[dict[UUID, FactSheet]]):
    """Hands each household with new facts to the alert rules.

    A batch of store notifications is evaluated household by household; a
    household that a rule picks is handled in its own transaction (idempotent:
    one open task per household, task ids derived from it), and the batch's
    position is recorded last, in the alerts store, so a crash re-evaluates
    at most one batch and never makes a second task."""

    def __init__(
        self, households: Households, alerts: Alerts, cache: CacheSettings = CacheSettings()
    ) -> None:
        # The alerts store's process recorder keeps the position.
        positions = cast(TrackingRecorder, alerts.recorder)
        super().__init__(households, positions, self, "alert_triggers", limit=2000)
        self.households, self.alerts = households, alerts
        # Households as the rules last saw them, bounded by bytes like the monitor's.
        self.cache = PackedCache(cache, pack_sheet, unpack_sheet)

    def prepare(self, notes: Sequence[Notification]) -> dict[UUID, FactSheet]:
        return advance(self.households, self.cache, notes)

    def record(
        self, touched: dict[UUID, FactSheet], notes: Sequence[Notification], tracking: Tracking
    ) -> None:
        book = self.alerts.silence_book()  # once a batch, unless it changes
        for household in touched.values():
            outcome = self.alerts.handle(household, book=book)
            TRIGGERS.labels(outcome).inc()
            if outcome == "silence_ended":
                book = self.alerts.silence_book()
        # Last: a batch cut short is evaluated again from its start.
        self.alerts.finish_job(tracking.application_name, tracking.notification_id, position=True)
