"""From a department message on the real broker to a risk status in the store,
on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from services.monitor.bootstrap import open_monitor
from services.monitor.service import MonitorService
from synthetic.sample import Builder
from tests.helpers import feed, headers, publish, read_topic, wait_for

TODAY = date(2026, 6, 30)
YEAR = (TODAY - timedelta(days=365), TODAY - timedelta(days=1))


@pytest.fixture
def monitor(settings):
    with open_monitor(settings, today=lambda: TODAY) as service:
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
    publish(
        settings,
        b.event(
            "income.reported",
            "H-1",
            TODAY - timedelta(days=1),
            {
                "amount_yuan": "-8000",
                "period_start": YEAR[0].isoformat(),
                "period_end": YEAR[1].isoformat(),
                "kind": "wage",
            },
        ),
    )
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
    assert origin["povwatch.sender"] == f"topic:{settings.events_topic}"  # unsigned
    assert monitor.households.household("H-4") is None


def encode_raw(message: dict) -> bytes:
    import json

    return json.dumps(message).encode()


def test_every_type_is_stored_through_the_broker(settings, monitor):
    from tests.test_schemas import every_type

    messages = every_type()
    publish(settings, *messages)
    wait_for(
        lambda: (h := monitor.households.household("H")) and h.version == 1 + len(messages),
        what="every fact stored",
    )
    kinds = [type(e).__name__ for e in monitor.households.history("H")]
    assert kinds == [
        "Opened",
        "Registered",
        "CardChanged",
        "IncomeReported",
        "IllnessReported",
        "DisasterReported",
        "EmploymentChanged",
        "LoanIssued",
        "LoanRepaid",
        "LoanOverdue",
        "SchoolingReported",
        "InsuranceChanged",
        "HousingRated",
        "WaterChecked",
        "AssistanceChanged",
        "MembersChanged",
    ]
    status = wait_for(
        lambda: (s := monitor.view.get("H")) and s.members == 2 and s, what="the member moved out"
    )
    assert status.card == "green" and status.open_loans == 1 and status.overdue_loans == 1
    assert status.labour_capable == 1  # the member who left could work
    assert status.guarantees == ["income", "education", "medical", "housing", "water", "safety_net"]


def test_unregistered_household_is_kept_then_completed_by_registration(settings, monitor):
    b = Builder("unreg")
    publish(settings, b.illness("H-5", TODAY - timedelta(days=5), "52000.00", "20000.00"))
    status = wait_for(lambda: monitor.view.get("H-5"), what="the unregistered household")
    assert not status.registered and status.card is None
    assert [f.code for f in status.factors] == ["medical_cost_high"]
    publish(settings, b.register("H-5", TODAY - timedelta(days=1), "blue", members=2))
    status = wait_for(
        lambda: (s := monitor.view.get("H-5")) and s.registered and s, what="registration"
    )
    assert status.card == "blue" and status.township == "Jinlong"


def test_out_of_order_events_are_placed_by_when_they_happened(settings, monitor):
    b = Builder("ooo")
    hid = "H-6"
    # The newer job report arrives first; the older unemployment report later.
    publish(
        settings,
        b.register(hid, TODAY - timedelta(days=100), "yellow", members=2, labour=1),
        b.income(hid, TODAY - timedelta(days=1), "30000.00", *YEAR),
        b.employment(hid, TODAY - timedelta(days=2), "p1", "employed", "local"),
        b.employment(hid, TODAY - timedelta(days=40), "p1", "unemployed"),
        # Last year's income, reported late, lands in the previous window only.
        b.income(
            hid, TODAY, "90000.00", YEAR[0] - timedelta(days=365), YEAR[0] - timedelta(days=1)
        ),
    )
    wait_for(lambda: (h := monitor.households.household(hid)) and h.version == 6, what="5 facts")
    status = wait_for(
        lambda: (s := monitor.view.get(hid)) and s.previous_per_capita_income_yuan and s,
        what="the late income projected",
    )
    assert status.per_capita_income_yuan == 15000 and status.employed_members == 1
    assert [f.code for f in status.factors] == ["income_drop"]


def test_conflicting_duplicate_goes_to_the_dead_letter_topic(settings, monitor):
    b = Builder("conf")
    original = b.income("H-8", TODAY - timedelta(days=3), "10000.00", *YEAR)
    changed = {**original, "data": {**original["data"], "amount_yuan": "99999.00"}}
    publish(settings, original, original, changed)
    (dead,) = read_topic(settings, settings.dlq_topic, expect=1)
    reason = headers(dead)["povwatch.reason"]
    assert reason["code"] == "conflict" and reason["errors"][0]["field"] == "event_id"
    # The dead letter is acknowledged before the batch's facts are committed.
    household = wait_for(lambda: monitor.households.household("H-8"), what="H-8 stored")
    assert household.version == 2 and household.facts.incomes[0].amount_yuan == 10000


def test_restart_resumes_from_the_store_without_loss_or_duplicates(settings):
    from services.households.app import Households
    from services.monitor.consumer import Ingestor

    b = Builder("restart")
    first = [
        b.income("H-R", TODAY - timedelta(days=i + 1), f"{100 + i}.00", *YEAR) for i in range(5)
    ]
    publish(settings, *first)
    # A monitor that stores every record and dies before committing to Kafka.
    households = Households(env=settings.store_env("Monitor"))
    crashed = Ingestor(settings, households)
    handled = 0
    while handled < len(first):
        for records in crashed.consumer.poll(timeout_ms=500).values():
            for record in records:
                assert crashed.handle(record).status == "stored"
                handled += 1
    crashed.consumer.close(autocommit=False)
    crashed.dlq.close()
    households.close()

    second = [b.income("H-R", TODAY, f"{200 + i}.00", *YEAR) for i in range(3)]
    publish(settings, *second)
    with open_monitor(settings, today=lambda: TODAY) as service:
        wait_for(
            lambda: (h := service.households.household("H-R")) and h.version == 9,
            what="8 incomes stored",
        )
        stored_events = service.households.recorder.max_notification_id()
        amounts = [i.amount_yuan for i in service.households.household("H-R").facts.incomes]
    assert sorted(amounts) == sorted(Decimal(m["data"]["amount_yuan"]) for m in first + second)
    assert stored_events == 9  # opened + 8 incomes: nothing stored twice


def test_a_stream_stored_behind_the_ingesters_back_is_read_once_the_store_refuses(settings):
    from services.households.app import Households

    b = Builder("behind")
    # H-B's registration stored by another writer, not through the events topic.
    other = Households(env=settings.store_env("Monitor"))
    assert feed(
        other, [b.register("H-B", TODAY - timedelta(days=30), "blue")], topic="elsewhere"
    ) == ["stored"]
    other.close()
    with open_monitor(settings, today=lambda: TODAY) as service:
        # Its partitions had no position recorded: the ingester took every
        # household for new without asking the store (H-B too, wrongly).
        wait_for(lambda: service.households.cache.complete, what="a complete cache")
        publish(
            settings,
            b.register("H-N", TODAY - timedelta(days=3), "yellow"),
            b.income("H-B", TODAY - timedelta(days=2), "9000.00", *YEAR),
        )
        # The store refused H-B's version 1; the poll was retried with the
        # stream read, and the income stored once, after the registration.
        wait_for(
            lambda: (h := service.households.household("H-B")) and h.version == 3,
            what="H-B's income after its registration",
        )
        wait_for(lambda: service.households.household("H-N"), what="H-N stored")
        assert [e.__class__.__name__ for e in service.households.history("H-B")] == [
            "Opened",
            "Registered",
            "IncomeReported",
        ]
        assert [e.__class__.__name__ for e in service.households.history("H-N")] == [
            "Opened",
            "Registered",
        ]
        assert not service.households.cache.complete  # it reads the store from now on


def test_the_daily_re_evaluation_moves_the_window(settings):
    day = [TODAY]
    b = Builder("reeval")
    with open_monitor(settings, today=lambda: day[0]).start(schedule=True) as service:
        assert {j.id for j in service.scheduler.get_jobs()} == {"reevaluate"}
        publish(
            settings,
            b.register("H-W", TODAY - timedelta(days=300), "yellow", members=1, labour=1),
            b.income("H-W", TODAY - timedelta(days=1), "20000.00", *YEAR),
        )
        wait_for(lambda: (s := service.view.get("H-W")) and s.per_capita_income_yuan, what="income")
        assert service.view.get("H-W").level == "none"
        day[0] = TODAY + timedelta(days=400)  # the income report leaves the window
        assert service.projection.reevaluate() >= 1
        status = service.view.get("H-W")
        assert status.evaluated_on == day[0] and status.income_stale
        assert status.per_capita_income_yuan is None


def test_a_rebalance_that_hands_back_the_same_partitions_keeps_the_cache(settings):
    from services.infra import kafka

    b = Builder("rejoin")
    with open_monitor(settings, today=lambda: TODAY) as service:
        publish(settings, b.register("H-J", TODAY - timedelta(days=3), "yellow"))
        wait_for(lambda: service.households.household("H-J"), what="H-J stored")
        wait_for(lambda: service.households.cache.complete, what="a complete cache")
        kept = len(service.households.cache)
        assert kept >= 1
        held = service.ingestor.consumer.assignment()
        # Another member joins the monitor's group for another topic: the
        # group rebalances and the ingester gets its own partitions back.
        other = kafka.consumer(settings, settings.monitor_group)
        try:
            other.subscribe([settings.dlq_topic])
            wait_for(
                lambda: other.poll(timeout_ms=200) is not None and other.assignment(),
                what="the other member's partitions",
                timeout=60,
            )
            assert service.ingestor.consumer.assignment() == held
            assert service.households.cache.complete
            assert len(service.households.cache) == kept
            publish(
                settings,
                b.income("H-J", TODAY - timedelta(days=1), "9000.00", *YEAR),
                b.register("H-K", TODAY - timedelta(days=1), "blue"),
            )
            wait_for(
                lambda: (h := service.households.household("H-J")) and h.version == 3,
                what="H-J's income",
            )
            wait_for(lambda: service.households.household("H-K"), what="H-K stored")
            assert service.households.cache.complete  # nothing read from the store
        finally:
            other.close()
