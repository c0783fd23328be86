"""The standard's departments from the real broker: each guarantee failing
for a yellow household becomes a help task on povwatch.tasks suggesting the
guarantee's measure, and an invalid message of each new type goes to the
dead-letter topic naming its field; on both stores."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from services.alerts.service import AlertsService
from services.infra.rulefile import load_rules
from services.monitor.bootstrap import open_monitor
from synthetic.sample import Builder
from tests.helpers import headers, publish, read_topic, wait_for

NOW = datetime(2026, 7, 6, 9, tzinfo=UTC)
YEAR = (date(2025, 7, 1), date(2026, 6, 30))
ON = date(2026, 7, 1)


def test_each_failing_guarantee_becomes_a_task_with_its_measure(settings):
    b = Builder("std-e2e")

    def household(hid: str, income: str = "20000.00") -> list[dict]:
        return [
            b.register(hid, date(2025, 1, 1), "yellow", members=1, labour=1),
            b.income(hid, ON, income, *YEAR),
        ]

    stay = b.illness("G-medical", ON, "10000.00", "6000.00")
    cases = {
        "G-education": (
            [b.schooling("G-education", ON, "c1", "dropped_out", reason="poverty")],
            {"school_return", "education_grant"},
        ),
        "G-insurance": ([b.insurance("G-insurance", ON, "p1", "lapsed")], {"insurance_enrolment"}),
        "G-medical": ([stay], {"medical_aid"}),
        "G-housing": ([b.housing("G-housing", ON, "C")], {"housing_repair"}),
        "G-water": ([b.water("G-water", ON, ["quality"])], {"water_works"}),
        "G-safety": ([], {"minimum_living_allowance"}),
        "G-none": ([b.water("G-none", ON)], None),  # the standard met: no task
    }
    messages = []
    for hid, (facts, _) in cases.items():
        messages += household(hid, "3000.00" if hid == "G-safety" else "20000.00") + facts
    with (
        open_monitor(settings, today=lambda: NOW.date()),
        AlertsService(settings, clock=lambda: NOW) as alerts,
    ):
        publish(settings, *messages)
        stored = len(cases) + len(messages)  # each stream opens, then its facts
        wait_for(
            lambda: alerts.triggers.position() == stored, what="every fact evaluated", timeout=60
        )
        wait_for(
            lambda: alerts.relay.position() == alerts.alerts.recorder.max_notification_id(),
            what="every task change published",
        )
        found = read_topic(settings, settings.tasks_topic, expect=100, timeout=3)
    tasks = {json.loads(m.value)["household_id"]: json.loads(m.value) for m in found}
    assert set(tasks) == {hid for hid, (_, measures) in cases.items() if measures}
    rules = load_rules(settings.rules_file)
    for hid, (_, measures) in cases.items():
        if measures is None:
            continue
        task = tasks[hid]
        assert task["kind"] == "help" and task["status"] == "open", hid
        assert measures <= set(task["suggested_measures"]), (hid, task["suggested_measures"])
        # Each suggested measure has the department it goes to, with its source.
        assert all(rules.department_of(m) for m in task["suggested_measures"]), hid


def test_an_invalid_message_of_each_new_type_is_dead_lettered_naming_its_field(settings):
    b = Builder("std-bad")
    bad = [
        (b.schooling("X-1", ON, "c1", "dropped_out", reason="poverty"), "reason", None, "data"),
        (b.insurance("X-1", ON, "p1", "lapsed"), "year", "2026", "data.year"),
        (b.housing("X-1", ON, "C"), "rating", "E", "data.rating"),
        (b.water("X-1", ON, ["quality"]), "failing", [], "data"),
        (
            b.assistance("X-1", ON, "dibao", "granted", "100.00"),
            "monthly_yuan",
            "-1",
            "data.monthly_yuan",
        ),
        (b.members("X-1", ON, "birth", "n1"), "change", "adoption", "data.change"),
    ]
    messages = []
    for message, key, value, _ in bad:
        if value is None:
            del message["data"][key]
        else:
            message["data"][key] = value
        messages.append(message)
    good = b.register("X-2", ON, "yellow")
    with open_monitor(settings, today=lambda: NOW.date()) as monitor:
        publish(settings, *messages, good)
        wait_for(lambda: monitor.view.get("X-2"), what="the valid registration after them")
        dead = read_topic(settings, settings.dlq_topic, expect=len(bad))
        assert monitor.households.household("X-1") is None  # nothing of them stored
    assert len(dead) == len(bad)
    by_type = {json.loads(r.value)["type"]: headers(r)["povwatch.reason"] for r in dead}
    for message, _, _, field in bad:
        reason = by_type[message["type"]]
        assert reason["code"] == "invalid"
        assert field in [e["field"] for e in reason["errors"]], (message["type"], reason)
