"""From a department message on the real broker to a risk status in the store,
on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.monitor.service import MonitorService
from services.sample import Builder
from tests.helpers import headers, publish, read_topic, wait_for

TODAY = date(2026, 6, 30)
YEAR = (TODAY - timedelta(days=365), TODAY - timedelta(days=1))


@pytest.fixture
def monitor(settings):
    with MonitorService(settings, today=lambda: TODAY) as service:
        yield service


def level_of(service: MonitorService, household_id: str) -> str | None:
    status = service.view.get(household_id)
    return status.level if status else None


def test_registration_and_income_change_the_risk_status(settings, monitor):
    b = Builder("e2e")
    publish(
        settings,
        b.register("H-1", TODAY - timedelta(days=200), "yellow", members=2, labour=1),
        b.income("H-1", TODAY - timedelta(days=3), "20000.00", *YEAR),
    )
    # 10,000 per person: above the 2023 line (7,500) and its band (9,375).
    status = wait_for(lambda: monitor.view.get("H-1"), what="a status for H-1")
    wait_for(lambda: monitor.view.get("H-1").per_capita_income_yuan is not None, what="income")
    status = monitor.view.get("H-1")
    assert (status.card, status.registered, status.level) == ("yellow", True, "none")

    # Later facts extend the stream and the projection follows: a house rated
    # C after a flood raises a factor; a negative amount is refused, not stored.
    publish(settings, b.event("income.reported", "H-1", TODAY - timedelta(days=1), {
        "amount_yuan": "-8000", "period_start": YEAR[0].isoformat(),
        "period_end": YEAR[1].isoformat(), "kind": "wage"}))
    publish(settings, b.disaster("H-1", TODAY - timedelta(days=1), "500.00", damage="C"))
    wait_for(lambda: level_of(monitor, "H-1") == "high", what="H-1 to become high")
    status = monitor.view.get("H-1")
    assert [f.code for f in status.factors] == ["disaster_loss"]
    household = monitor.households.household("H-1")
    # Opened, registered, income, disaster: the negative income was refused.
    assert household.version == 4


def test_redelivered_message_is_stored_once(settings, monitor):
    b = Builder("dup")
    msg = b.register("H-2", TODAY - timedelta(days=10), "blue")
    publish(settings, msg, msg, msg)
    publish(settings, b.illness("H-2", TODAY - timedelta(days=2), "30000.00", "5000.00"))
    wait_for(lambda: level_of(monitor, "H-2") == "high", what="H-2 to become high")
    assert monitor.households.household("H-2").version == 3  # opened, registered, illness


def test_invalid_messages_go_to_the_dead_letter_topic_and_ingestion_goes_on(settings, monitor):
    b = Builder("bad")
    good = b.register("H-3", TODAY - timedelta(days=10), "green")
    wrong_key = b.register("H-4", TODAY, "green")
    publish(
        settings,
        (b"H-3", b"{not json"),
        (b"H-3", b'{"event_id": "x", "type": "income.reported"}'),
        (b"H-9", encode_raw(wrong_key)),
        good,
    )
    wait_for(lambda: monitor.view.get("H-3"), what="the valid registration")
    dead = read_topic(settings, settings.dlq_topic, expect=3)
    assert len(dead) == 3
    reasons = sorted(headers(r)["povwatch.reason"]["code"] for r in dead)
    assert reasons == ["bad_json", "invalid", "key_mismatch"]
    by_code = {headers(r)["povwatch.reason"]["code"]: r for r in dead}
    assert by_code["bad_json"].value == b"{not json"  # the original bytes
    fields = {e["field"] for e in headers(by_code["invalid"])["povwatch.reason"]["errors"]}
    assert {"household_id", "occurred_at", "source", "data"} <= fields
    origin = headers(by_code["key_mismatch"])
    assert origin["povwatch.origin.topic"] == settings.events_topic
    assert int(origin["povwatch.origin.offset"]) >= 0
    assert monitor.households.household("H-4") is None


def encode_raw(message: dict) -> bytes:
    import json

    return json.dumps(message).encode()
