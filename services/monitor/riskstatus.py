"""The risk status projection: follows the households' store and keeps the
read model current. It polls the store's notification log, which works on
both stores (SQLite has no push subscriptions), and records its position in
the view's own transaction."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

from eventsourcing.persistence import Tracking

from domain.household import Household
from domain.policy import PolicyBook
from domain.risk import assess
from schemas.status import RiskStatusOut
from services.monitor.households import Households
from services import views
from services.monitor.views import PostgresRiskStatusView, RiskStatusView, SQLiteRiskStatusView
from services.settings import Settings

log = logging.getLogger(__name__)
DEFAULT_POLICY = Path(__file__).resolve().parent.parent / "defaults" / "policy.toml"


def load_policies(settings: Settings) -> PolicyBook:
    path = settings.policy_file or DEFAULT_POLICY
    return PolicyBook.from_toml(path.read_text(encoding="utf-8"), origin=str(path))


def open_view(settings: Settings) -> RiskStatusView:
    return views.open_view(
        settings.store_env("RiskStatus"), "RiskStatus", SQLiteRiskStatusView, PostgresRiskStatusView
    )


class RiskStatusProjection:
    def __init__(
        self,
        households: Households,
        view: RiskStatusView,
        policies: PolicyBook,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.households, self.view = households, view
        self.policies, self.today = policies, today

    def status_of(self, household: Household, on: date) -> RiskStatusOut:
        status = assess(household.facts, self.policies.in_force(on), on)
        return RiskStatusOut.model_validate(status)

    def position(self) -> int:
        return self.view.max_tracking_id(self.households.name) or 0

    def run_once(self, limit: int = 500) -> int:
        """Projects up to ``limit`` new store notifications; returns how many."""
        start = self.position() + 1
        notes = self.households.recorder.select_notifications(start=start, limit=limit)
        if not notes:
            return 0
        on = self.today()
        ids = dict.fromkeys(n.originator_id for n in notes)  # ordered, unique
        statuses = []
        for household_id in ids:
            household = self.households.repository.get(household_id)
            statuses.append(self.status_of(household, on))
        self.view.save(statuses, Tracking(self.households.name, notes[-1].id))
        return len(notes)

    def catch_up(self) -> int:
        total = 0
        while n := self.run_once():
            total += n
        return total

    def follow(self, stop: threading.Event, interval: float = 0.1) -> None:
        while not stop.is_set():
            try:
                if not self.run_once():
                    stop.wait(interval)
            except Exception:
                log.exception("risk status projection failed; retrying")
                stop.wait(1.0)

    def rebuild(self) -> int:
        """Forgets the read model and projects the whole store again."""
        self.view.clear(self.households.name)
        return self.catch_up()
