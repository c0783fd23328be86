"""disability.changed and the households newly in scope, from the real
broker: a severely disabled member without the subsidies, a household left
with no one able to work, a green household below the line and an ordinary
rural household below it each become a task on povwatch.tasks, and the task
message names no category, grade or member; a bad certificate goes to the
dead-letter topic with its reason. On both stores."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from services.alerts.service import AlertsService
from services.monitor.bootstrap import open_monitor
from synthetic.sample import Builder
from tests.helpers import headers, publish, read_topic, wait_for

NOW = datetime(2026, 7, 6, 9, tzinfo=UTC)
YEAR = (date(2025, 7, 1), date(2026, 6, 30))
ON = date(2026, 7, 1)


def test_the_new_risks_and_households_in_scope_become_tasks(settings):
    b = Builder("risk-e2e")
    messages = [
        # 因残: a grade 2 member without either subsidy (income well above the line).
        b.register("D-1", date(2025, 1, 1), "yellow", members=3, labour=2),
        b.income("D-1", ON, "60000.00", *YEAR),
        b.disability("D-1", ON, "p-3", 2, category="mental"),
        # 缺劳动力: the one member able to work died.
        b.register("L-1", date(2025, 1, 1), "blue", members=2, labour=1),
        b.income("L-1", ON, "40000.00", *YEAR),
        b.members("L-1", ON, "death", "p-1", effective=ON, able=True),
        # A green household below the line: a 脱贫不稳定户 candidate.
        b.register("G-1", date(2025, 1, 1), "green", members=2, labour=1),
        b.income("G-1", ON, "9000.00", *YEAR),
        # An ordinary rural household the registry does not hold, below the line.
        b.income("U-1", ON, "5000.00", *YEAR),
        # A grade 4 certificate, subsidised or not, opens nothing.
        b.register("N-1", date(2025, 1, 1), "yellow", members=2, labour=1),
        b.income("N-1", ON, "60000.00", *YEAR),
        b.disability("N-1", ON, "p-2", 4, category="hearing"),
    ]
    streams = len({m["household_id"] for m in messages})
    with (
        open_monitor(settings, today=lambda: NOW.date()),
        AlertsService(settings, clock=lambda: NOW) as alerts,
    ):
        publish(settings, *messages)
        wait_for(
            lambda: alerts.triggers.position() == streams + len(messages),
            what="every fact evaluated",
            timeout=60,
        )
        wait_for(
            lambda: alerts.relay.position() == alerts.alerts.recorder.max_notification_id(),
            what="every task change published",
        )
        found = read_topic(settings, settings.tasks_topic, expect=100, timeout=3)
    raw = {json.loads(m.value)["household_id"]: m.value.decode() for m in found}
    tasks = {hid: json.loads(text) for hid, text in raw.items()}
    assert set(tasks) == {"D-1", "L-1", "G-1", "U-1"}
    assert {f["code"] for f in tasks["D-1"]["factors"]} == {"disability"}
    assert "disability_subsidy" in tasks["D-1"]["suggested_measures"]
    assert {f["code"] for f in tasks["L-1"]["factors"]} == {"labour_lacking"}
    assert tasks["G-1"]["rule_id"] == "green-unstable" and tasks["G-1"]["kind"] == "help"
    assert tasks["U-1"]["rule_id"] == "identify-ordinary-income"
    assert tasks["U-1"]["kind"] == "identify"
    # The certificate is a health detail: no category, grade or member on the
    # topic, and the factor travels without its figures (domain.health).
    (disability,) = tasks["D-1"]["factors"]
    assert disability["figures"] == {} and disability["severity"] == "high"
    for word in ("mental", "p-3", "grade", "hearing"):
        assert word not in raw["D-1"], word


def test_a_bad_certificate_is_dead_lettered_with_its_reason(settings):
    b = Builder("dis-bad")
    grade_too_high = b.disability("X-1", ON, "p-1", 2)
    grade_too_high["data"]["grade"] = 5
    no_category = b.disability("X-1", ON, "p-1", 2)
    no_category["data"]["category"] = None
    cancelled_with_grade = b.disability("X-1", ON, "p-1", 2, status="cancelled")
    unknown_category = b.disability("X-1", ON, "p-1", 1, category="blindness")
    id_number = b.disability("X-1", ON, "430624199001011234", 1)
    bad = [
        (grade_too_high, "data.grade"),
        (no_category, "data"),
        (cancelled_with_grade, "data"),
        (unknown_category, "data.category"),
        (id_number, "data.person_ref"),
    ]
    good = b.disability("X-2", ON, "p-1", 1)
    with open_monitor(settings, today=lambda: NOW.date()) as monitor:
        publish(settings, *(m for m, _ in bad), good)
        wait_for(
            lambda: monitor.households.household("X-2") is not None,
            what="the valid certificate after them",
        )
        dead = read_topic(settings, settings.dlq_topic, expect=len(bad))
        assert monitor.households.household("X-1") is None  # nothing of them stored
        stored = monitor.households.household("X-2")
    assert stored.facts.disabilities["p-1"].grade == 1
    assert len(dead) == len(bad)
    reasons = {json.loads(r.value)["event_id"]: headers(r)["povwatch.reason"] for r in dead}
    for message, field in bad:
        reason = reasons[message["event_id"]]
        assert reason["code"] == "invalid"
        assert field in [e["field"] for e in reason["errors"]], (message["event_id"], reason)
