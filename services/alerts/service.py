"""The alerts process. For now it follows the households' store and logs
what it sees; the alert rules and help tasks build on this loop."""

from __future__ import annotations

import logging
import threading

from services.monitor.households import Households
from services.settings import Settings

log = logging.getLogger(__name__)


class AlertsService:
    def __init__(self, settings: Settings) -> None:
        self.households = Households(env=settings.store_env("Monitor"))
        self.position = 0
        self.seen = 0

    def poll_once(self) -> int:
        notes = self.households.recorder.select_notifications(start=self.position + 1, limit=500)
        for n in notes:
            log.info(
                "store event %d: %s v%d", n.id, n.topic.rsplit(".", 1)[-1], n.originator_version
            )
        if notes:
            self.position = notes[-1].id
            self.seen += len(notes)
        return len(notes)

    def run(self, stop: threading.Event, interval: float = 0.5) -> None:
        self.position = self.households.recorder.max_notification_id() or 0
        log.info("alerts following the store from position %d", self.position)
        while not stop.is_set():
            if not self.poll_once():
                stop.wait(interval)
        self.households.close()
