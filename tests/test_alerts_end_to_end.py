"""From a department message on the real broker to a task message on
povwatch.tasks, on both stores; restarts make no duplicate tasks."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from fastapi.testclient import TestClient

from services.alerts.service import AlertsService
from services.monitor.bootstrap import open_monitor
from synthetic.sample import Builder
from tests.helpers import clients, publish, read_topic, wait_for

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)
YEAR = (date(2025, 6, 1), date(2026, 5, 31))


def test_department_message_becomes_a_task_message_and_staff_work_it(settings):
    b = Builder("e2e-task")
    with (
        open_monitor(settings, today=lambda: NOW.date()),
        AlertsService(settings, clock=lambda: NOW) as alerts,
    ):
        publish(
            settings,
            b.register("H-1", date(2025, 1, 1), "yellow", members=2, labour=1, village="Hekou"),
            b.income("H-1", date(2026, 5, 31), "12000.00", *YEAR),
        )
        (message,) = read_topic(settings, settings.tasks_topic, expect=1)
        task = json.loads(message.value)
        assert message.key == b"H-1"
        assert dict(message.headers)["povwatch.task"] == f"{task['task_id']}:1".encode()
        assert (task["household_id"], task["township"], task["village"], task["card"]) == (
            "H-1",
            "Jinlong",
            "Hekou",
            "yellow",
        )
        assert task["level"] == "high" and task["status"] == "open" and task["version"] == 1
        assert task["factors"][0]["code"] == "income_below_line"
        assert "below the line" in task["factors"][0]["reason"]
        assert task["suggested_measures"][:2] == ["employment_help", "industry_help"]
        assert task["visit_due"] == "2026-06-03" and task["measures_due"] == "2026-06-16"

        who = clients(
            alerts.web_app(),
            alerts.accounts,
            **{
                "jinlong-staff-1": ("staff", "Jinlong"),
                "other": ("staff", "Yuanjiang"),
                "ops": ("operator", None),
            },
        )
        api, other = who["jinlong-staff-1"], who["other"]
        tid = task["task_id"]
        # Another township's staff can neither see nor act on it; nor can an operator.
        assert other.get(f"/tasks/{tid}").status_code == 403
        assert other.post(f"/tasks/{tid}/acknowledge").status_code == 403
        assert other.get("/tasks").json()["total"] == 0
        assert other.get("/tasks", params={"offset": 2**63}).status_code == 422  # not a 500
        assert other.get("/tasks", params={"township": "Jinlong"}).status_code == 403
        assert who["ops"].get(f"/tasks/{tid}").status_code == 403
        assert other.get(f"/tasks/{uuid4()}").status_code == 403  # no 404 to tell tasks apart
        assert api.post(f"/tasks/{tid}/acknowledge").status_code == 200
        assert (
            api.post(
                f"/tasks/{tid}/visits", json={"visited_on": "2026-06-01", "note": "met the family"}
            ).status_code
            == 200
        )
        # Personal numbers are refused in what staff write.
        r = api.post(
            f"/tasks/{tid}/visits", json={"visited_on": "2026-06-01", "note": "phone 138 1234 5678"}
        )
        assert r.status_code == 422 and "phone" in r.text
        assert (
            api.post(
                f"/tasks/{tid}/measures",
                json={"kind": "public_welfare_post", "department": "human-resources"},
            ).status_code
            == 200
        )
        r = api.post(f"/tasks/{tid}/resolve", json={"outcome": "job found"})
        assert r.status_code == 200 and r.json()["status"] == "resolved"
        assert [h["what"] for h in r.json()["history"]] == [
            "created",
            "acknowledged",
            "visit recorded",
            "measure recorded",
            "resolved",
        ]
        assert [h["by"] for h in r.json()["history"]][1:] == ["jinlong-staff-1"] * 4
        assert api.post(f"/tasks/{tid}/dismiss", json={"reason": "r"}).status_code == 409
        assert api.post(f"/tasks/{tid}/dismiss", json={"reason": ""}).status_code == 422
        messages = read_topic(settings, settings.tasks_topic, expect=5)
        versions = [json.loads(m.value)["version"] for m in messages]
        assert versions == [1, 2, 3, 4, 5]
        assert json.loads(messages[-1].value)["status"] == "resolved"
        assert api.get("/tasks", params={"phase": "closed"}).json()["total"] == 1
        assert all("138" not in m.value.decode() for m in messages)


def test_silences_over_http(settings):
    with AlertsService(settings, clock=lambda: NOW) as alerts:
        who = clients(
            alerts.web_app(),
            alerts.accounts,
            **{
                "op-1": ("operator", None),
                "op-2": ("operator", None),
                "staff": ("staff", "Jinlong"),
                "county": ("county", None),
            },
        )
        api = who["op-1"]
        body = {
            "reason": "audit",
            "household_id": "H-2",
            "expires_at": (NOW + timedelta(days=3)).isoformat(),
        }
        for name in ("staff", "county"):
            assert who[name].post("/silences", json=body).status_code == 403
            assert who[name].get("/silences").status_code == 403
        assert TestClient(alerts.web_app()).get("/silences").status_code == 401
        r = api.post("/silences", json=body)
        assert r.status_code == 201 and r.json()["active"] and r.json()["created_by"] == "op-1"
        sid = r.json()["id"]
        assert (
            api.post(
                "/silences",
                json={
                    "reason": "x",
                    "household_id": "H",
                    "township": "T",
                    "expires_at": (NOW + timedelta(days=3)).isoformat(),
                },
            ).status_code
            == 422
        )
        ended = who["op-2"].post(f"/silences/{sid}/end", json={"reason": "done"}).json()
        assert not ended["active"] and ended["ended_by"] == "op-2"
        assert [s["id"] for s in api.get("/silences", params={"active": False}).json()] == [sid]


def test_restarting_the_alerts_service_mid_stream_makes_no_duplicate_tasks(settings):
    b = Builder("restart-al")
    households = [f"H-{i}" for i in range(12)]
    with open_monitor(settings, today=lambda: NOW.date()):
        for n, hid in enumerate(households):
            publish(
                settings,
                b.register(hid, date(2025, 1, 1), "blue", members=1, labour=1),
                b.income(hid, date(2026, 5, 31), "100.00", *YEAR),
            )
            if n == 4:
                first = AlertsService(settings, clock=lambda: NOW).start()
            if n == 8:
                first.stop()  # mid-stream
        second = AlertsService(settings, clock=lambda: NOW).start()
        try:
            wait_for(
                lambda: second.tasks.search(limit=100).total == 12, what="12 tasks", timeout=60
            )
            messages = read_topic(settings, settings.tasks_topic, expect=12)
            created = {json.loads(m.value)["household_id"] for m in messages}
            assert created == set(households)
            # One task each: task ids are per household and number.
            assert {t.household_id for t in second.tasks.search(limit=100).items} == set(households)
            assert all(second.alerts.watch(h).tasks_opened == 1 for h in households)
        finally:
            second.stop()


def test_every_default_rule_fires_or_not_from_the_broker(settings):
    """One household per case, published as departments would; the task
    messages on povwatch.tasks are exactly the expected ones."""
    b = Builder("rules-e2e")
    reg = lambda hid, card: b.register(hid, date(2025, 1, 1), card, members=1, labour=1)  # noqa: E731
    low = lambda hid: b.income(hid, date(2026, 5, 31), "5000.00", *YEAR)  # noqa: E731  below the line
    band = lambda hid: b.income(hid, date(2026, 5, 31), "8000.00", *YEAR)  # noqa: E731  inside the band
    flood = lambda hid: b.disaster(hid, date(2026, 5, 30), "1000.00", damage="D")  # noqa: E731
    cases = {
        "Y-high": ([reg("Y-high", "yellow"), low("Y-high")], "help"),
        "Y-watch": ([reg("Y-watch", "yellow"), band("Y-watch")], None),
        "B-high": ([reg("B-high", "blue"), low("B-high")], "help"),
        "G-high": ([reg("G-high", "green"), low("G-high")], None),
        "G-critical": (
            [reg("G-critical", "green"), band("G-critical"), flood("G-critical")],
            "help",
        ),
        "R-critical": ([reg("R-critical", "red"), low("R-critical"), flood("R-critical")], None),
        "U-high": ([b.illness("U-high", date(2026, 5, 30), "25000.00", "0.00")], None),
        "U-critical": (
            [b.illness("U-critical", date(2026, 5, 30), "25000.00", "0.00"), flood("U-critical")],
            "identify",
        ),
    }
    with (
        open_monitor(settings, today=lambda: NOW.date()),
        AlertsService(settings, clock=lambda: NOW) as alerts,
    ):
        for messages, _ in cases.values():
            publish(settings, *messages)
        expected = {hid: kind for hid, (_, kind) in cases.items() if kind}
        stored = 8 + sum(len(m) for m, _ in cases.values())  # each stream opens, then its facts
        wait_for(
            lambda: alerts.triggers.position() == stored, what="every fact evaluated", timeout=60
        )
        wait_for(
            lambda: alerts.relay.position() == alerts.alerts.recorder.max_notification_id(),
            what="every task change published",
        )
        messages = read_topic(settings, settings.tasks_topic, expect=100, timeout=3)
        got = {json.loads(m.value)["household_id"]: json.loads(m.value)["kind"] for m in messages}
        assert got == expected


def test_a_consumer_of_the_tasks_topic_reads_health_factors_without_their_amounts(settings):
    """Whoever reads povwatch.tasks learns that a household's medical cost is
    high and its stay reimbursed too little, never the costs or the share;
    the township's staff still read them through the API."""
    b = Builder("e2e-health")
    with (
        open_monitor(settings, today=lambda: NOW.date()),
        AlertsService(settings, clock=lambda: NOW) as alerts,
    ):
        publish(
            settings,
            b.register("M-1", date(2025, 1, 1), "yellow", members=2, labour=1, village="Hekou"),
            b.income("M-1", date(2026, 5, 31), "40000.00", *YEAR),
            b.illness("M-1", date(2026, 5, 20), "43210.00", "12345.00"),
        )
        wait_for(lambda: alerts.triggers.position() == 4, what="every fact evaluated")
        wait_for(
            lambda: alerts.relay.position() == alerts.alerts.recorder.max_notification_id(),
            what="every task change published",
        )
        found = read_topic(settings, settings.tasks_topic, expect=100, timeout=3)
        # The case the task's lead opened travels on povwatch.cases with codes only.
        wait_for(
            lambda: alerts.case_relay.position() == alerts.cases.recorder.max_notification_id(),
            what="every case change published",
        )
        cases = read_topic(settings, settings.cases_topic, expect=100, timeout=3)
        staff = clients(alerts.web_app(), alerts.accounts, s=("staff", "Jinlong"))["s"]
        tid = json.loads(found[-1].value)["task_id"]
        seen = staff.get(f"/tasks/{tid}").json()
    task = json.loads(found[-1].value)
    factors = {f["code"]: f for f in task["factors"]}
    assert {"medical_cost_high", "reimbursement_low"} <= set(factors)
    for code in ("medical_cost_high", "reimbursement_low"):
        assert factors[code]["figures"] == {} and factors[code]["severity"]
    (case,) = [json.loads(m.value) for m in cases if b'"kind_of_message":"case"' in m.value]
    assert "medical_cost_high" in case["leads"][0]["factors"]
    text = b"".join(m.value for m in found + cases).decode()
    for amount in ("30865", "43210", "12345", "28.6%", "28.57", "85%"):
        assert amount not in text, amount
    # The township's staff read the amounts as before.
    staff_factors = {f["code"]: f for f in seen["factors"]}
    assert staff_factors["medical_cost_high"]["figures"]["self_paid_yuan"] == "30865.00"
    assert "30865" in staff_factors["medical_cost_high"]["reason"]
