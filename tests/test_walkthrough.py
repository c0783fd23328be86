"""The demo's walk (synthetic/walkthrough.py) on a real store of each kind:
one lead to a monitoring object, a new hospital stay of it landing as a help
task on its plan (no second case), then its 自然消除 clearance, each step by
the role the procedure gives it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from domain import countyday
from domain.cases import Case
from tests.test_alerts import clock, registered, world  # noqa: F401 (fixtures)
from tests.test_notice import _text


def test_the_demo_walks_a_lead_to_a_natural_clearance(
    world,  # noqa: F811
    store_settings,
    tmp_path,
    clock,  # noqa: F811
    capsys,
):
    from synthetic.walkthrough import demo_people, walk

    service, w = world
    w.send(*registered(w, "H", "yellow", "7000.00", members=1, labour=1))
    (case,) = service.case_list.search(limit=5).items
    people = demo_people(service, case.township or "", case.village or "")
    settings = store_settings
    if settings.store == "postgres":  # the notices' folder, beside no SQLite store
        settings = settings.model_copy(update={"sqlite_dir": tmp_path})

    def hospital_stay(household_id: str) -> None:  # as the demo's, fed to the running service
        service.catch_up()  # the service has followed the decision (its lead task closed)
        w.send(w.b.illness(household_id, countyday.day(clock.now), "500000.00", "440000.00"))

    walk(settings, service, case.case_id, {k: p for k, (_, _, p) in people.items()}, hospital_stay)
    printed = " ".join(capsys.readouterr().out.split())  # the terminal's wrapping undone

    record = service.cases.record("H")
    assert record is not None and record.status == "cleared" and record.cases_opened == 2
    # The hospital stay: a help task on the plan, answered by a measure, no case of its own.
    assert len(record.plan_tasks) == 1, printed
    (task,) = record.plan_tasks.values()
    assert task.factors == ["medical_cost_high"] and task.state == "done"
    due = countyday.day(clock.now) + timedelta(days=15)  # the rules' measures_days
    assert (
        "H: new hospital stay -> help task on its plan (not a second case; cases opened: 1): "
        f"医疗自付费用高 (medical_cost_high), for Jinlong, due {due}" in printed
    )
    assert "H: help task done (medical_cost_high by medical_aid)" in printed
    assert "monitoring object (unstable)" in printed  # the walk's earlier lines stay
    first, second = (service.cases.case(Case.create_id("H", n)) for n in (1, 2))
    assert first.outcome == "monitored" and first.category == "unstable"
    by = {h["what"]: (h["by"], h["role"]) for h in first.history}
    assert by["authorised"] == ("demo-village", "village")
    assert by["cross-checked"] == ("demo-county", "county")
    assert (second.kind, second.clearance_kind, second.outcome) == (
        "clearance",
        "natural",
        "cleared",
    )
    notice = _text((Path(settings.sqlite_dir) / f"notice-{second.id}.pdf").read_bytes())
    assert "拟标注风险消除公示" in notice and "自然消除" in notice


def test_the_demo_s_hospital_stay_goes_out_on_the_events_topic(settings):
    """The demo's new fact travels the departments' way: one medical-insurance
    message on the events topic (the walk above shows where it lands), and the
    demo stops waiting for it after its timeout when nothing takes it."""
    import json
    import time
    from types import SimpleNamespace

    from services.alerts.bootstrap import open_cases
    from synthetic.cli import publish_hospital_stay
    from tests.helpers import read_topic

    cases = open_cases(settings)
    try:
        started = time.monotonic()
        publish_hospital_stay(settings, SimpleNamespace(cases=cases), "H-9", timeout=0.5)
        assert time.monotonic() - started < 10
    finally:
        cases.close()
    (record,) = read_topic(settings, settings.events_topic, expect=1)
    assert record.key == b"H-9"
    message = json.loads(record.value)
    assert (message["type"], message["source"]) == ("illness.reported", "medical-insurance")
    assert message["data"]["total_cost_yuan"] == "500000.00"
    assert message["occurred_at"].startswith(countyday.today().isoformat())
