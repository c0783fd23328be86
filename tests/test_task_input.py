"""Each task command's input rules, once in the domain, and how the API, the
inbox and the CLI say them: the field and its problem, before the state."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from domain.access import Role
from domain.tasks import (
    DEPARTMENT_MAX,
    NOTE_MAX,
    PersonalText,
    SilenceBook,
    TaskError,
    TaskInputError,
)
from services.cli import app as cli
from tests.helpers import bearer
from tests.test_alerting import open_task
from tests.test_alerts import clock, world  # noqa: F401

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    "command, kwargs, field, problem",
    [
        ("record_visit", {"visited_on": date(2026, 6, 2), "note": ""}, "visited_on", "future"),
        (
            "record_visit",
            {"visited_on": NOW.date(), "note": "x" * (NOTE_MAX + 1)},
            "note",
            "too_long",
        ),
        (
            "record_visit",
            {"visited_on": NOW.date(), "note": "call 138 1234 5678"},
            "note",
            "personal_number",
        ),
        ("record_measure", {"kind": "cash", "department": "x"}, "kind", "unknown_measure"),
        ("record_measure", {"kind": "workshop", "department": " "}, "department", "required"),
        (
            "record_measure",
            {"kind": "workshop", "department": "d" * (DEPARTMENT_MAX + 1)},
            "department",
            "too_long",
        ),
        ("resolve", {"outcome": "  "}, "outcome", "required"),
        ("resolve", {"outcome": "o" * (NOTE_MAX + 1)}, "outcome", "too_long"),
        ("dismiss", {"reason": ""}, "reason", "required"),
        ("dismiss", {"reason": "account 6222021234567890123"}, "reason", "personal_number"),
    ],
)
def test_each_command_refuses_bad_input_naming_the_field(command, kwargs, field, problem):
    task = open_task()
    with pytest.raises(TaskInputError) as refused:
        getattr(task, command)("staff-1", NOW, **kwargs)
    assert (refused.value.field, refused.value.problem) == (field, problem)
    assert isinstance(refused.value, TaskError)  # still a refusal of the command
    assert task.version == 1  # nothing recorded


def test_the_limits_themselves_are_allowed_and_input_comes_before_state():
    task = open_task()
    task.record_visit("s", NOW, visited_on=NOW.date(), note="n" * NOTE_MAX)
    task.record_measure("s", NOW, kind="workshop", department="d" * DEPARTMENT_MAX)
    task.resolve("s", NOW, outcome="o" * NOTE_MAX)
    with pytest.raises(TaskInputError):
        task.dismiss("s", NOW, reason="")  # bad input is said first, even on a closed task
    with pytest.raises(TaskError, match="cannot dismiss: the task is resolved"):
        task.dismiss("s", NOW, reason="r")


def test_silence_rules():
    book = SilenceBook()
    later = NOW + timedelta(days=1)
    cases = [
        ({"reason": " ", "household_id": "H"}, "reason", "required"),
        ({"reason": "r" * 501, "household_id": "H"}, "reason", "too_long"),
        ({"reason": "r", "household_id": "H", "township": "T"}, "household_id", "scope"),
        ({"reason": "r", "township": "T", "factor": "bogus"}, "factor", "unknown_factor"),
        ({"reason": "r", "household_id": "H", "expires_at": NOW}, "expires_at", "expired"),
    ]
    for kwargs, field, problem in cases:
        with pytest.raises(TaskInputError) as refused:
            book.silence(**{"created_by": "op", "at": NOW, "expires_at": later, **kwargs})
        assert (refused.value.field, refused.value.problem) == (field, problem)
    sid = book.silence(reason="r", created_by="op", at=NOW, expires_at=later, household_id="H")
    with pytest.raises(PersonalText):
        book.end(sid, "op", NOW, "call 13812345678")


@pytest.fixture
def worked(world, clock):  # noqa: F811
    from tests.test_alerts import registered

    service, w = world
    w.send(*registered(w, "H", "yellow", "7000.00"))
    (task,) = w.tasks()
    return service, task, clock


def test_the_api_answers_422_naming_the_field(worked):
    service, task, now = worked
    token = service.accounts.issue("wang", Role.STAFF, "test", township="Jinlong")
    api = TestClient(service.web_app(), headers=bearer(token))
    tomorrow = (now().date() + timedelta(days=1)).isoformat()
    r = api.post(f"/tasks/{task.task_id}/visits", json={"visited_on": tomorrow})
    assert r.status_code == 422
    (error,) = r.json()["detail"]
    assert error["loc"] == ["body", "visited_on"] and "after today" in error["msg"]
    r = api.post(f"/tasks/{task.task_id}/resolve", json={"outcome": "x" * (NOTE_MAX + 1)})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "outcome"]
    assert api.post(f"/tasks/{task.task_id}/resolve", json={"outcome": "ok"}).status_code == 200
    assert api.post(f"/tasks/{task.task_id}/resolve", json={"outcome": "ok"}).status_code == 409


def test_the_inbox_says_the_fields_problem_and_never_truncates(worked):
    service, task, _ = worked
    token = service.accounts.issue("wang", Role.STAFF, "test", township="Jinlong")
    browser = TestClient(service.web_app(), follow_redirects=True)
    browser.post("/inbox/signin", data={"token": token})
    r = browser.post(f"/inbox/tasks/{task.task_id}/resolve", data={"outcome": "x" * (NOTE_MAX + 1)})
    assert r.status_code == 422 and "办理结果" in r.text and f"最多 {NOTE_MAX} 个字" in r.text
    browser.get("/inbox/lang/en")
    r = browser.post(
        f"/inbox/tasks/{task.task_id}/measure", data={"kind": "workshop", "department": "d" * 101}
    )
    assert r.status_code == 422 and "department: At most 100 characters." in r.text
    assert service.alerts.task(__import__("uuid").UUID(task.task_id)).version == 1


def test_the_cli_exits_2_for_bad_input_and_1_for_a_state_conflict(worked, store_settings):
    _, task, _ = worked
    env = {
        "POVWATCH_STORE": store_settings.store,
        "POVWATCH_SQLITE_DIR": str(store_settings.sqlite_dir),
        "POVWATCH_POSTGRES_SCHEMA": store_settings.postgres_schema,
    }
    run = lambda *args: CliRunner().invoke(cli, list(args), env=env)  # noqa: E731
    tid = task.task_id
    r = run("tasks", "visit", tid, "--by", "s", "--on", "2999-01-01")
    assert r.exit_code == 2 and "visited_on" in r.output
    r = run("tasks", "dismiss", tid, "--by", "s", "--reason", "x" * (NOTE_MAX + 1))
    assert r.exit_code == 2 and "at most 2000 characters" in r.output
    assert run("tasks", "dismiss", tid, "--by", "s", "--reason", "duplicate").exit_code == 0
    assert run("tasks", "dismiss", tid, "--by", "s", "--reason", "again").exit_code == 1


def test_a_staff_form_refuses_numbers_written_with_other_separators(worked):
    from tests.test_privacy import DISGUISED

    service, task, _ = worked
    token = service.accounts.issue("wang", Role.STAFF, "test", township="Jinlong")
    browser = TestClient(service.web_app(), follow_redirects=True)
    browser.post("/inbox/signin", data={"token": token})
    api = TestClient(service.web_app(), headers=bearer(token))
    for number in DISGUISED:
        r = browser.post(
            f"/inbox/tasks/{task.task_id}/measure",
            data={"kind": "workshop", "department": f"人社局 {number}"},
        )
        assert r.status_code == 422 and "请勿填写身份证号" in r.text and number not in r.text
        r = api.post(f"/tasks/{task.task_id}/resolve", json={"outcome": f"已联系 {number}"})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "outcome"]
    assert service.alerts.task(__import__("uuid").UUID(task.task_id)).version == 1
