"""Cases identify and clear; help tasks help monitoring objects. On a real
store of each kind: a monitoring object's new illness opens no second case
but a task on its help plan for its township, due as the rules say; a
measure answering the new factor completes it, another is closed with the
reason no measure is needed; the county changes its category on the record,
with no case and no notice; the township's work list holds one item."""

from __future__ import annotations

from datetime import timedelta

from services.infra.access import COOKIE
from tests.test_alerts import MONDAY, clock, registered, world  # noqa: F401 (fixtures)
from tests.test_cases import T, ok, one_case, people, through_notice  # noqa: F401 (fixtures)


def monitored(service, w, people, clock):  # noqa: F811
    """H identified through the whole procedure: a monitoring object."""
    w.send(*registered(w, "H", "yellow", "7000.00", members=1, labour=1))
    cid = one_case(service).case_id
    through_notice(service, people, clock, cid)
    ok(people["chen"].post(f"/cases/{cid}/township-review", json={"approve": True}))
    body = {"approve": True, "category": "unstable"}
    ok(people["zhou"].post(f"/cases/{cid}/decision", json=body))
    service.catch_up()
    assert ok(people["county"].get("/monitoring/H"))["status"] == "monitored"


def ill(w, clock):  # noqa: F811
    """A major illness: self-paid above the threshold, reimbursed above 85%."""
    w.send(w.b.illness("H", clock.now.date(), "300000.00", "275000.00"))


def work_list(client) -> str:
    """The township's work list page (cases and plan tasks), as its account sees it."""
    if COOKIE not in client.cookies:  # sign in as a person does: a session's cookie
        token = client.headers["Authorization"].split()[1]
        assert client.post("/inbox/signin", data={"token": token}).status_code in (200, 303)
    page = client.get("/inbox/cases")
    assert page.status_code == 200, page.text
    return page.text


def plan_task(people):  # noqa: F811
    record = ok(people["wang"].get("/monitoring/H"))
    (task,) = [t for t in record["plan_tasks"] if t["state"] == "open"]
    return record, task


def test_a_new_illness_is_a_plan_task_answered_by_a_measure(world, people, clock):  # noqa: F811
    service, w = world
    monitored(service, w, people, clock)
    clock.advance(days=3)
    ill(w, clock)

    # No second identification: one case, decided; a plan task instead.
    assert service.case_list.search(limit=10).total == 1
    assert service.case_list.search(limit=10, phase="open").total == 0
    record, task = plan_task(people)
    assert record["cases_opened"] == 1
    assert task["factors"] == ["medical_cost_high"] and task["township"] == T
    # The deadline is the rules' measures_days (15) from the lead.
    assert task["due_on"] == (clock.now.date() + timedelta(days=15)).isoformat()

    # Village staff read no health details: the task's deadline, not its risk.
    (seen,) = ok(people["li"].get("/monitoring/H"))["plan_tasks"]
    assert seen["factors"] == [] and seen["due_on"] == task["due_on"] and not seen["title"]

    # Its help task is the plan task, the one item on the township's work list.
    (help_task,) = w.tasks(phase="open")
    assert help_task.kind == "plan" and help_task.plan_factors == ["medical_cost_high"]
    assert help_task.task_id == task["task_id"]
    assert help_task.next_due.isoformat() == task["due_on"]  # no visit deadline of its own
    listed = ok(people["wang"].get("/tasks"))["items"]
    assert [t["household_id"] for t in listed if t["status"] != "resolved"] == ["H"]
    assert ok(people["wang"].get("/cases?mine=true"))["total"] == 0
    assert work_list(people["wang"]).count('data-household="H"') == 1
    assert 'data-case="' not in work_list(people["wang"])
    # A new risk not yet answered blocks clearance.
    refused = people["wang"].post("/monitoring/H/clearance", json={"reason": "收入稳定"})
    assert refused.status_code == 409 and "plan task" in refused.json()["detail"]
    # It is closed on the plan, not on its own.
    wang = people["wang"]
    refused = wang.post(f"/tasks/{task['task_id']}/resolve", json={"outcome": "已帮扶"})
    assert refused.status_code == 409 and "help plan" in refused.json()["detail"]

    # A measure answering the new factor completes it, on the plan and on the task.
    due = (clock.now.date() + timedelta(days=10)).isoformat()
    measure = {
        "kind": "medical_aid", "department": "县医保局", "due_on": due,
        "answers": "medical_cost_high",
    }  # fmt: skip
    record = ok(wang.post("/monitoring/H/plan", json=measure))
    (m,) = record["plan"]
    assert m["answers"] == "medical_cost_high"
    (done,) = record["plan_tasks"]
    assert done["state"] == "done" and done["answered"] == {"medical_cost_high": m["id"]}
    service.catch_up()
    (closed,) = [t for t in w.tasks() if t.task_id == task["task_id"]]
    assert closed.kind == "plan" and closed.status == "resolved"
    assert 'data-household="H"' not in work_list(wang)
    assert service.case_list.search(limit=10).total == 1  # still no second case


def test_a_plan_task_closed_with_a_reason(world, people, clock):  # noqa: F811
    service, w = world
    monitored(service, w, people, clock)
    ill(w, clock)
    _, task = plan_task(people)
    wang, li = people["wang"], people["li"]
    url = f"/monitoring/H/tasks/{task['task_id']}/close"
    assert li.post(url, json={"reason": "已报销"}).status_code == 403  # village staff
    blank = wang.post(url, json={"reason": "  "})
    assert blank.status_code == 422 and blank.json()["detail"][0]["loc"][-1] == "reason"
    number = wang.post(url, json={"reason": "身份证 430624199001011234"})
    assert number.status_code == 422  # no personal numbers in a reason
    reason = "大病保险已二次报销，自付已降至线下，无需新增措施"
    # Closed through the plan page's form, as township staff do in the inbox.
    work_list(wang)  # signs the client in
    form = f"/inbox/monitoring/H/tasks/{task['task_id']}/close"
    assert 'action="' + form + '"' in wang.get("/inbox/monitoring/H").text
    page = wang.post(form, data={"reason": reason})
    assert page.status_code == 200 and "无需新增措施" in page.text and reason in page.text
    record = ok(wang.get("/monitoring/H"))
    (closed,) = record["plan_tasks"]
    assert (closed["state"], closed["reason"], closed["closed_by"]) == ("closed", reason, "wang")
    assert wang.post(url, json={"reason": reason}).status_code == 409  # closed already
    service.catch_up()
    (help_task,) = [t for t in w.tasks() if t.task_id == task["task_id"]]
    assert help_task.status == "dismissed" and help_task.outcome == reason
    # The follower made each change once: a second pass changes nothing.
    version = help_task.version
    service.catch_up()
    assert [t.version for t in w.tasks() if t.task_id == task["task_id"]] == [version]


def test_the_county_changes_the_category_without_a_notice(world, people, clock):  # noqa: F811
    service, w = world
    monitored(service, w, people, clock)
    ill(w, clock)
    body = {"category": "sudden", "reason": "突发大病，县级审定调整为突发严重困难户"}
    assert people["wang"].post("/monitoring/H/category", json=body).status_code == 403
    assert people["chen"].post("/monitoring/H/category", json=body).status_code == 403
    odd = people["zhou"].post("/monitoring/H/category", json={**body, "category": "x"})
    assert odd.status_code == 422
    zhou = people["zhou"]
    work_list(zhou)  # signs the client in: the county's form on the plan page
    blank = zhou.post("/inbox/monitoring/H/category", data={"category": "sudden", "reason": ""})
    assert blank.status_code == 422
    page = zhou.post("/inbox/monitoring/H/category", data=body)
    assert page.status_code == 200 and "县级审定：脱贫不稳定户 → 突发严重困难户" in page.text
    record = ok(zhou.get("/monitoring/H"))
    assert record["category"] == "sudden"
    (change,) = record["category_changes"]
    assert (change["from"], change["to"], change["by"], change["role"]) == (
        "unstable", "sudden", "zhou", "approver",
    )  # fmt: skip
    assert people["zhou"].post("/monitoring/H/category", json=body).status_code == 409
    service.catch_up()
    # No case, so no notice: the only case is the first identification's.
    (case,) = service.case_list.search(limit=10).items
    assert case.phase == "closed" and case.notice is not None
    assert record["periods"] == ok(people["county"].get("/monitoring/H"))["periods"]


def test_a_household_not_monitored_still_gets_a_case(world, people, clock):  # noqa: F811
    service, w = world
    w.send(*registered(w, "H", "yellow", "7000.00", members=1, labour=1))
    case = one_case(service)
    assert case.kind == "identification"
    assert ok(people["county"].get("/monitoring/H"))["plan_tasks"] == []
    (task,) = w.tasks()
    assert task.kind == "help" and task.plan_factors == []


def test_plan_tasks_from_the_terminal(world, people, clock, store_settings):  # noqa: F811
    """The CLI lists the plan task among the tasks, shows the record's plan
    tasks, and refuses to resolve a plan task on its own."""
    from typer.testing import CliRunner

    from services.cli import app

    service, w = world
    monitored(service, w, people, clock)
    ill(w, clock)
    _, task = plan_task(people)
    env = {
        "POVWATCH_STORE": store_settings.store,
        "POVWATCH_SQLITE_DIR": str(store_settings.sqlite_dir),
        "POVWATCH_POSTGRES_SCHEMA": store_settings.postgres_schema,
    }
    run = lambda *args: CliRunner().invoke(app, list(args), env=env)  # noqa: E731
    listed = run("tasks", "list", "--kind", "plan")
    assert listed.exit_code == 0 and "H" in listed.output and "1 of 1" in listed.output
    shown = run("tasks", "show", task["task_id"])
    assert shown.exit_code == 0 and "help plan (new: medical_cost_high)" in shown.output
    refused = run("tasks", "resolve", task["task_id"], "--by", "wang", "--outcome", "已帮扶")
    assert refused.exit_code == 1 and "help plan" in refused.output
    record = run("cases", "record", "H")
    assert record.exit_code == 0 and "Plan tasks" in record.output
    assert "medical_cost_high" in record.output and "open" in record.output
