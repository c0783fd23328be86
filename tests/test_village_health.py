"""Village staff read no health details, on a real store of each kind: the
case page, the case and monitoring API and the help plan show them the
departments that reported and the measures that are not health measures,
while the township's staff read the facts, the factors and the medical aid."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from domain.access import Role
from tests.test_alerts import MONDAY, clock, registered, world  # noqa: F401 (fixtures)
from tests.test_cases import T, V, ok
from tests.test_ledgers import monitored, people  # noqa: F401 (fixture)


def signed_in(service, name: str, role: Role, **area) -> TestClient:
    token = service.accounts.issue(name, role, "test", **area)
    client = TestClient(service.web_app(), follow_redirects=True)
    assert client.post("/inbox/signin", data={"token": token}).status_code == 200
    return client


def test_village_staff_read_no_health_details(world, people, clock):  # noqa: F811
    service, w = world
    stay = w.b.illness("H", MONDAY.date() - timedelta(days=3), "43210.00", "12345.00")
    w.send(*registered(w, "H", "yellow", "7000.00"), stay)
    monitored(service, people, clock)  # with a medical aid measure in the plan
    li, wang = people["li"], people["wang"]
    (case,) = ok(li.get("/cases", params={"phase": "closed"}))["items"]
    cid = case["case_id"]

    # The case API: the department's lead says where it came from, not what it found.
    assert [x["channel"] for x in case["leads"]] == ["department"]
    assert case["leads"][0]["factors"] == [] and case["leads"][0]["title"] is None
    for lead in ok(li.get(f"/cases/{cid}"))["leads"]:
        assert (lead["factors"], lead["title"], lead["level"]) == ([], None, None)
    staff_leads = ok(wang.get(f"/cases/{cid}"))["leads"]
    assert "medical_cost_high" in staff_leads[0]["factors"] and staff_leads[0]["title"]
    # A lead the village records on the monitoring object goes on its plan, and
    # answers with the plan task as the village reads it: no health factor.
    lead = {"household_id": "H", "factors": ["medical_cost_high"], "note": "户主再次住院"}
    answer = li.post("/leads", json=lead)
    assert answer.status_code == 201, answer.text
    task = answer.json()["plan_task"]
    assert answer.json()["added_to"] == "plan" and task["factors"] == [] and not task["title"]
    assert "medical_cost_high" in ok(wang.get("/monitoring/H"))["plan_tasks"][0]["factors"]

    # The help plan: the medical aid is not there for the village, as in its lists.
    kinds = [m["kind"] for m in ok(li.get("/monitoring/H"))["plan"]]
    assert kinds == ["public_welfare_post"]
    (listed,) = ok(li.get("/monitoring"))["items"]
    assert [m["kind"] for m in listed["plan"]] == ["public_welfare_post"]
    assert "medical_aid" in [m["kind"] for m in ok(wang.get("/monitoring/H"))["plan"]]

    # The pages: which departments reported, never what; no medical aid in the plan.
    village = signed_in(service, "li-web", Role.VILLAGE, township=T, village=V)
    staff = signed_in(service, "wang-web", Role.STAFF, township=T)
    page = village.get(f"/inbox/cases/{cid}").text
    assert 'id="sources"' in page and "医保局" in page and "县乡村振兴局" in page
    assert 'id="timeline"' not in page
    for health in ("医疗费用", "43210", "12345", "30865"):
        assert health not in page, health
    staff_page = staff.get(f"/inbox/cases/{cid}").text
    assert 'id="timeline"' in staff_page and "医疗费用 43210.00 元" in staff_page
    plan = village.get("/inbox/monitoring/H").text
    assert "公益岗位" in plan and "医疗救助" not in plan and "县医保局" not in plan
    staff_plan = staff.get("/inbox/monitoring/H").text
    assert "医疗救助" in staff_plan and "县医保局" in staff_plan
