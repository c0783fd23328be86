"""A monitoring record's plan tasks without a store: which factors are new,
a measure answering every new factor completes the task, staff's reason
closes one, the county changes a category, and a measure stored before
``answers`` existed still loads."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from domain.access import Principal, Role
from domain.case_input import CaseForbidden
from domain.monitoring import MonitoringRecord
from domain.task_input import TaskError, TaskInputError
from services.infra.processapp import TrackedApplication
from tests.test_cases_domain import act

T0 = datetime(2026, 6, 1, 1, tzinfo=UTC)
STAFF = Principal("wang", Role.STAFF, "Jinlong")
APPROVER = Principal("zhou", Role.APPROVER)
DUE = date(2026, 6, 20)


def monitored() -> MonitoringRecord:
    record = MonitoringRecord("H", "Jinlong", "Xinquan", at=T0)
    case_id = uuid4()
    record.case_opened(case_id, T0)
    record.case_decided(case_id, "monitored", "unstable", T0.date(), T0)
    return record


def task(record: MonitoringRecord, *factors: str, task_id: str = "t1"):  # noqa: ANN201
    return record.open_plan_task(
        task_id=task_id, title="t", level="high", factors=list(factors), due_on=DUE, at=T0
    )


def measure(record: MonitoringRecord, kind: str, answers: str | None) -> str:
    return record.add_measure(
        act(STAFF), kind=kind, department="县医保局", due_on=DUE, answers=answers
    )


def test_the_new_factors_are_those_no_case_nor_measure_answered():
    record = monitored()
    measure(record, "employment_help", "all_unemployed")
    new = record.new_factors(
        ["income_below_line", "all_unemployed", "medical_cost_high"], {"income_below_line"}
    )
    assert new == ["medical_cost_high"]
    # Nothing new (a known risk back after its task closed): all of them.
    assert record.new_factors(["income_below_line"], {"income_below_line"}) == ["income_below_line"]


def test_a_task_is_done_when_every_new_factor_is_answered():
    record = monitored()
    task(record, "medical_cost_high", "disaster_loss")
    measure(record, "medical_aid", "medical_cost_high")
    (t,) = record.plan_tasks.values()
    assert t.state == "open" and t.answered == {"medical_cost_high": "m1"}
    measure(record, "industry_help", None)  # answers nothing: still open
    assert t.state == "open"
    measure(record, "housing_repair", "disaster_loss")
    assert t.state == "done" and t.answered == {"medical_cost_high": "m1", "disaster_loss": "m3"}
    with pytest.raises(TaskInputError) as e:
        measure(record, "medical_aid", "no_such_factor")
    assert e.value.field == "answers"


def test_a_plan_task_only_for_a_monitoring_object_with_no_open_case():
    record = MonitoringRecord("H", "Jinlong", "Xinquan", at=T0)
    with pytest.raises(TaskError):
        task(record, "medical_cost_high")
    record = monitored()
    assert task(record, "medical_cost_high") is task(record, "medical_cost_high")  # once


def test_closing_needs_a_reason_and_the_plan_roles():
    record = monitored()
    task(record, "medical_cost_high")
    village = Principal("li", Role.VILLAGE, "Jinlong", village="Xinquan")
    with pytest.raises(CaseForbidden):
        record.close_plan_task(act(village), task_id="t1", reason="已报销")
    with pytest.raises(TaskInputError):
        record.close_plan_task(act(STAFF), task_id="t1", reason=" ")
    record.close_plan_task(act(STAFF), task_id="t1", reason="已二次报销")
    assert record.plan_tasks["t1"].state == "closed"
    with pytest.raises(TaskError):
        record.close_plan_task(act(STAFF), task_id="t1", reason="again")


def test_the_county_changes_the_category():
    record = monitored()
    with pytest.raises(CaseForbidden):
        record.change_category(act(STAFF), category="sudden", reason="突发大病")
    record.change_category(act(APPROVER), category="sudden", reason="突发大病")
    assert record.category == "sudden" and record.periods[0]["category"] == "unstable"
    assert record.category_changes[0]["from"] == "unstable"
    with pytest.raises(TaskError):
        record.change_category(act(APPROVER), category="sudden", reason="again")


def test_a_measure_stored_before_answers_existed_loads():
    app = TrackedApplication()  # the cases' transcoder: dates as ISO text, in memory
    record = monitored()
    measure(record, "medical_aid", "medical_cost_high")
    app.save(record)
    stored = app.recorder.select_events(record.id)
    old = []
    for s in stored:
        state = app.mapper.transcoder.decode(s.state)
        state.pop("answers", None)  # as written before the attribute was added
        old.append(
            StoredEvent(
                s.originator_id, s.originator_version, s.topic, app.mapper.transcoder.encode(state)
            )
        )
    loaded = None
    for s in old:
        loaded = app.mapper.to_domain_event(s).mutate(loaded)
    assert loaded is not None
    assert loaded.plan["m1"].kind == "medical_aid" and loaded.plan["m1"].answers is None
