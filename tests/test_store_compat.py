"""A store written by an earlier version of povwatch opens and reads the same.

``fixtures/store-v1`` is a small SQLite store (a synthetic county, its help
tasks worked by staff, a silence, an account) written by the code before the
modules were rearranged, with what that code read back from it in
``expected.json``. Stored events name their classes by topic; a class that
moves keeps resolving through the library's topic registration."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import pytest

from domain.household import FactRef
from services.alerts.service import AlertsService
from services.households.app import Households, kafka_position
from services.households.statusview import open_view
from services.infra.access import open_accounts
from services.infra.policyfile import load_policies
from services.infra.settings import Settings
from services.monitor.riskstatus import RiskStatusProjection

FIXTURE = Path(__file__).parent / "fixtures" / "store-v1"
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def old_store(tmp_path: Path) -> tuple[Settings, dict]:
    shutil.copytree(FIXTURE / "store", tmp_path / "store")
    settings = Settings(store="sqlite", sqlite_dir=tmp_path / "store", state_dir=tmp_path / "state")
    return settings, json.loads((FIXTURE / "expected.json").read_text())


# Factors that read facts the old store already held, added after it was written.
ADDED_SINCE = {"assistance_missing", "reimbursement_low"}


def test_households_and_their_risk_read_as_before(old_store):
    settings, expect = old_store
    households = Households(env=settings.store_env("Monitor"))
    view = open_view(settings)
    try:
        assert households.recorder.max_notification_id() == expect["stored_events"]
        for hid, want in expect["households"].items():
            h = households.household(hid)
            assert (h.version, h.facts.card, h.facts.registered) == (
                want["version"],
                want["card"],
                want["registered"],
            )
            assert (len(h.facts.incomes), sorted(h.facts.loans)) == (want["incomes"], want["loans"])
            # Every stored event resolves to its class.
            assert len(households.history(hid)) == want["version"]
            status = view.get(hid)
            assert (status.level, [f.code for f in status.factors]) == (
                want["level"],
                want["factors"],
            )
        # Assessed again from the stream by today's code: the same risk.
        projection = RiskStatusProjection(
            households, view, load_policies(settings), lambda: NOW.date()
        )
        projection.rebuild()
        for hid, want in expect["households"].items():
            status = view.get(hid)
            codes = [f.code for f in status.factors]
            # The same risk, and the checks added since the store was written
            # (the standard's, which read the same facts) where they apply.
            assert status.level == want["level"], hid
            assert [c for c in codes if c not in ADDED_SINCE] == want["factors"], hid
    finally:
        view.datastore.close()
        households.close()


def test_ingestion_goes_on_on_an_old_store(old_store):
    settings, expect = old_store
    households = Households(env=settings.store_env("Monitor"))
    try:
        hid, want = next((k, v) for k, v in expect["households"].items() if v["registered"])
        (first, *_) = households.history(hid)
        ref = FactRef("civil-affairs", "compat-1", NOW, "d" * 64)
        position = kafka_position("povwatch.events", 0, 10_000)
        data = {
            "amount_yuan": "100.00",
            "period_start": date(2026, 5, 1),
            "period_end": date(2026, 5, 31),
            "kind": "wage",
        }
        assert households.receive("income.reported", hid, ref, data, position).status == "stored"
        assert households.household(hid).version == want["version"] + 1
        again = kafka_position("povwatch.events", 0, 10_001)
        assert households.receive("income.reported", hid, ref, data, again).status == "duplicate"
        assert first.originator_version == 1
    finally:
        households.close()


def test_tasks_silences_and_accounts_read_as_before(old_store):
    settings, expect = old_store
    service = AlertsService(settings, clock=lambda: NOW)
    try:
        for task_id, want in expect["tasks"].items():
            task = service.alerts.task(UUID(task_id))
            assert (task.version, task.status, task.household_id, task.kind, task.escalation) == (
                want["version"],
                want["status"],
                want["household_id"],
                want["kind"],
                want["escalation"],
            )
            assert sorted(task.factors) == sorted(want["factors"])
            doc = service.tasks.get(task_id)
            assert (doc.version, doc.status) == (want["version"], want["status"])
        assert [s.id for s in service.alerts.silences()] == [expect["silence"]]
        # The old store's log carries on: nothing new to project or to trigger.
        assert service.task_view.lag() == 0 and service.triggers.lag() == 0
    finally:
        service.stop()
    accounts = open_accounts(settings)
    try:
        who = accounts.authenticate(expect["token"])
        assert who is not None and who.township == expect["token_township"]
    finally:
        accounts.close()
