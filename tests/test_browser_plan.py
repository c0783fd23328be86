"""A monitoring object's new risk as township staff meet it: real headless
Chromium against the running services. H-9 is identified through the
procedure (by the API: the browser walk of it is test_browser_cases.py);
then medical insurance reports a major illness on Kafka. No second case
opens: the township's work list holds one item, a task on H-9's help plan,
and staff add the measure that answers it on the plan page."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx
from playwright.sync_api import Browser, Page, expect

from synthetic.sample import Builder
from tests.helpers import bearer, publish, wait_for
from tests.test_browser import chromium  # noqa: F401 (fixture)
from tests.test_browser_cases import a_lead, county, person, shot  # noqa: F401 (fixture)
from tests.test_cases import signed, verification


def identified(base: str, tokens: dict[str, str], clock, cid: str) -> None:  # noqa: ANN001
    """The case's stages through the API, each by its role."""

    def post(who: str, path: str, body: dict) -> None:
        r = httpx.post(f"{base}/cases/{cid}/{path}", json=body, headers=bearer(tokens[who]))
        assert r.status_code == 200, r.text

    today = clock().date().isoformat()
    post("li", "verification", verification(clock().date()))
    post("li", "authorisation", signed(clock().date()))
    post("office", "crosscheck", {"matches": True})  # the county office's
    review = {"held_on": today, "attendees": 15, "agreed": True, "category": "unstable"}
    post("li", "village-review", review)
    post("li", "notice", {"starts_on": today})
    clock.advance(days=5)
    post("li", "notice/close", {})
    post("chen", "township-review", {"approve": True})
    post("zhou", "decision", {"approve": True, "category": "unstable"})


def illness_answered_on_the_plan(staff: Page, hid: str, on: date, prefix: str) -> None:
    """Township staff's one work list holds one item for ``hid``: a task on
    its plan for the major illness reported ``on``, and no second case; on
    the plan page, medical aid answers it."""
    expect(staff.locator("#cases li.case")).to_have_count(0)
    item = staff.locator("#plan-tasks li.plan-task")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("帮扶计划调整")
    expect(item).to_contain_text("医疗自付费用高")
    expect(item).to_contain_text(f"期限 {on + timedelta(days=15)}")  # the rules' measures_days
    shot(staff, f"{prefix}-worklist.png")
    item.get_by_role("link").click()
    expect(staff).to_have_url(re.compile(rf"/inbox/monitoring/{hid}"))
    task = staff.locator("#plan-tasks li.plan-task")
    expect(task).to_contain_text("新增风险：医疗自付费用高")
    expect(task.locator(".state")).to_have_text("待落实")
    form = staff.locator("#add-measure")
    form.get_by_label("帮扶措施").select_option(label="医疗救助")
    expect(form.get_by_label("针对的风险")).to_have_value("medical_cost_high")
    form.get_by_label("责任部门").fill("县医保局")
    form.get_by_label("完成期限").fill((on + timedelta(days=10)).isoformat())
    form.get_by_role("button").click()
    expect(staff.locator("p.ok")).to_have_text("已记录。")
    expect(staff.locator("#plan li.measure")).to_contain_text("针对风险：医疗自付费用高")
    expect(task.locator(".state")).to_have_text("已落实措施")
    shot(staff, f"{prefix}-answered.png")


def test_a_new_illness_becomes_a_task_on_the_plan_page(chromium: Browser, county):  # noqa: F811
    settings, alerts, base, tokens, clock = county
    cid = a_lead(settings, alerts, "H-9")
    identified(base, tokens, clock, cid)
    wait_for(
        lambda: alerts.monitoring.search(limit=1, status="monitored").total == 1,
        timeout=60,
        what="the monitoring object in the monitoring view",
    )

    stored = len(alerts.households.history("H-9"))
    on = clock().date()
    b = Builder("browser-plan")
    publish(settings, b.illness("H-9", on, "300000.00", "275000.00", person="p2"))
    wait_for(
        lambda: alerts.tasks.search(limit=5, household_id="H-9", kind="plan").total == 1,
        timeout=60,
        what="the plan task in the tasks view",
        state=lambda: f"stored {len(alerts.households.history('H-9')) - stored} new facts",
    )

    staff = person(chromium, base, tokens["wang"], phone=True)
    expect(staff).to_have_url(base + "/inbox/cases")
    illness_answered_on_the_plan(staff, "H-9", on, "plan")

    # The help task closes with the plan task; the work list is empty again.
    wait_for(
        lambda: (
            alerts.tasks.search(limit=5, household_id="H-9", kind="plan", phase="open").total == 0
        ),
        timeout=30,
        what="the plan task's help task closed",
    )
    staff.goto(base + "/inbox/cases")
    expect(staff.locator("#plan-tasks li.plan-task")).to_have_count(0)
    assert alerts.case_list.search(limit=5, household_id="H-9").total == 1
    staff.context.close()
