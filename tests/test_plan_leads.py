"""Every lead of a monitoring object lands on its help plan. On a real store
of each kind: a lead staff found on their rounds (through the API and the
inbox's form) and the household's own declaration through its card's page
each become a plan task for the township, due as the rules' deadlines say,
with no second identification; the township's work list shows them beside
the departments' and a measure answering the new risk completes them. A
household that is not a monitoring object still gets a case."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from domain import countyday
from domain.access import Principal, Role
from services.cases.planlist import lead_plan_tasks
from tests.test_alerts import clock, registered, world  # noqa: F401 (fixtures)
from tests.test_cases import T, V, ok, people  # noqa: F401 (fixtures)
from tests.test_plan_tasks import monitored, work_list


def cases_of(service) -> int:
    service.catch_up()
    return service.case_list.search(limit=10).total


def due(clock) -> str:  # noqa: F811
    """The rules' measures_days (15, as a department's lead) from the county's day."""
    return (countyday.day(clock.now) + timedelta(days=15)).isoformat()


def test_a_staff_lead_for_a_monitoring_object_is_a_task_on_its_plan(world, people, clock):  # noqa: F811
    service, w = world
    monitored(service, w, people, clock)
    clock.advance(days=2)
    wang, li = people["wang"], people["li"]
    lead = {"household_id": "H", "factors": ["medical_cost_high"], "note": "户主住院"}
    taken = ok(wang.post("/leads", json=lead), 201)
    assert taken["added_to"] == "plan" and taken["household_id"] == "H"
    task = taken["plan_task"]
    assert task["channel"] == "staff" and task["township"] == T and task["state"] == "open"
    assert task["factors"] == ["medical_cost_high"] and task["due_on"] == due(clock)
    assert cases_of(service) == 1 and ok(wang.get("/monitoring/H"))["cases_opened"] == 1
    # No help task moved: the lead's plan task is on the record only, and on the list.
    assert w.tasks(kind="plan") == []
    listed = work_list(wang)
    assert listed.count('data-household="H"') == 1 and 'data-case="' not in listed
    assert f'data-task="{task["task_id"]}"' in listed and "期限 " + task["due_on"] in listed
    # Read a page of one record at a time, the list still holds every record's.
    wang_p = Principal("wang", Role.STAFF, T)
    items = lead_plan_tasks(service.parts.monitoring, wang_p, page=1)
    assert [(i.household_id, i.channel, i.task_id) for i in items] == [
        ("H", "staff", task["task_id"])
    ]

    # Village staff record one through the inbox's form: the answer says it
    # went to the plan; what the health risk is stays with the township.
    work_list(li)  # signs the client in
    page = li.post(
        "/inbox/leads",
        data={"household_id": "H", "factors": "disability", "note": "户主因病致残"},
    )
    assert page.status_code == 200 and "线索已加入本户帮扶计划" in page.text
    assert "监测对象识别" in page.text  # "…不再另行开展监测对象识别"
    assert page.url.path == "/inbox/monitoring/H"
    assert cases_of(service) == 1
    opened = [t for t in ok(wang.get("/monitoring/H"))["plan_tasks"] if t["state"] == "open"]
    assert sorted(t["channel"] for t in opened) == ["staff", "staff"]
    assert work_list(wang).count('data-household="H"') == 2
    seen = ok(li.post("/leads", json=lead), 201)["plan_task"]
    assert seen["factors"] == [] and not seen["title"]  # village staff read no health details

    # A measure answering the new risk completes its task, and it leaves the list.
    measure = {
        "kind": "medical_aid", "department": "县医保局", "due_on": due(clock),
        "answers": "medical_cost_high",
    }  # fmt: skip
    record = ok(wang.post("/monitoring/H/plan", json=measure))
    states = {t["task_id"]: t["state"] for t in record["plan_tasks"]}
    assert states[task["task_id"]] == "done"
    service.catch_up()
    assert f'data-task="{task["task_id"]}"' not in work_list(wang)
    assert cases_of(service) == 1


def test_a_household_s_declaration_for_a_monitoring_object_is_a_task_on_its_plan(
    world,  # noqa: F811
    people,  # noqa: F811
    clock,  # noqa: F811
):
    service, w = world
    monitored(service, w, people, clock)
    declarations = service.parts.intake.declarations
    declarations.issue(T, V, "county")
    [face] = declarations.faces(["H"], T, V)
    path = face.link.split("://", 1)[1].split("/", 1)[1]
    household = TestClient(service.web_app())
    page = household.get("/" + path)
    assert page.status_code == 200, page.text
    form = page.text.split('name="form" value="')[1].split('"')[0]
    sent = household.post(
        "/" + path, data={"form": form, "hardship": "illness", "description": "老人住院，花费很大"},
        follow_redirects=False,
    )  # fmt: skip
    assert sent.status_code == 303
    after = household.get(sent.headers["location"]).text
    # Received, and the township follows it on the household's help plan.
    assert 'id="state-plan"' in after and "已收到申报" in after and "帮扶计划" in after
    assert "申报已提交" in after and "入户核实" not in after
    assert cases_of(service) == 1
    (task,) = [t for t in ok(people["wang"].get("/monitoring/H"))["plan_tasks"]]
    assert task["channel"] == "household" and task["state"] == "open"
    assert task["factors"] == ["medical_cost_high"] and task["due_on"] == due(clock)
    listed = work_list(people["wang"])
    assert listed.count('data-household="H"') == 1 and 'data-case="' not in listed
    # The household's page says so until the plan answers it.
    reason = {"reason": "已纳入大病保险二次报销，无需新增措施"}
    ok(people["wang"].post(f"/monitoring/H/tasks/{task['task_id']}/close", json=reason))
    assert 'id="state-monitored"' in household.get("/" + path).text


def test_a_household_not_monitored_still_gets_a_case(world, people, clock):  # noqa: F811
    service, w = world
    w.send(*registered(w, "G", "yellow", "30000.00", members=1, labour=1))
    assert cases_of(service) == 0
    lead = {"household_id": "G", "factors": ["medical_cost_high"], "note": "户主住院"}
    case = ok(people["wang"].post("/leads", json=lead), 201)
    assert case["channel"] == "staff" and case["stage"] == "verify" and "added_to" not in case
    assert cases_of(service) == 1
    assert ok(people["county"].get("/monitoring/G"))["plan_tasks"] == []
