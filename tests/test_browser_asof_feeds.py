"""As of a day and a department's rejected messages, in real headless
Chromium with script turned off, against the running services fed through
Kafka: township staff pick a day on a household's page (a GET form) and see
what was known then beside what is known now, the late report marked; a
department signs in, sees its own rejected message with the field named and
downloads the CSV, read back. Screenshots go to test-artifacts/."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import Browser, expect

from domain.access import Role
from domain.household import Household
from synthetic.sample import Builder
from tests.helpers import publish, serving, signed, wait_for
from tests.test_alerts import Clock
from tests.test_browser import ARTIFACTS, NOW, YEAR, chromium, sign_in  # noqa: F401 (fixture)


@pytest.fixture
def county(broker_settings, tmp_path, monkeypatch):
    recorded = [datetime(2026, 5, 20, 2, tzinfo=UTC)]  # when the store records each event
    for cls in (Household.Opened, Household.FactEvent):
        monkeypatch.setattr(cls, "create_timestamp", staticmethod(lambda: recorded[0]))
    with serving(broker_settings, tmp_path / "store", Clock(NOW)) as (
        settings,
        monitor,
        alerts,
        bases,
    ):
        yield settings, monitor, alerts, bases["alerts"], recorded


def page_without_script(chromium: Browser, base: str, token: str):  # noqa: F811
    context = chromium.new_context(locale="zh-CN", java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    sign_in(page, base, token)
    return page


def test_staff_pick_a_day_and_see_the_late_report_marked(chromium, county):  # noqa: F811
    settings, monitor, alerts, base, recorded = county
    b = Builder("asof-browser")
    publish(
        settings,
        b.register("H-7", date(2025, 1, 1), "yellow", members=3, labour=2),
        b.income("H-7", date(2026, 5, 15), "9000.00", *YEAR),
    )
    wait_for(lambda: alerts.tasks.search(household_id="H-7").total == 1, timeout=60, what="a task")
    recorded[0] = datetime(2026, 6, 1, 2, tzinfo=UTC)  # the hospital's report arrives late
    publish(settings, b.illness("H-7", date(2026, 5, 10), "80000", "10000"))
    wait_for(lambda: len(monitor.households.history("H-7")) == 4, what="the late report")
    token = alerts.accounts.issue("wang", Role.STAFF, "test", township="Jinlong")
    page = page_without_script(chromium, base, token)
    task = alerts.tasks.search(household_id="H-7").items[0]
    page.goto(f"{base}/inbox/tasks/{task.task_id}")
    page.locator("#to-household").click()
    expect(page).to_have_url(f"{base}/inbox/households/H-7")
    expect(page.locator("#today")).to_contain_text("今天")
    page.get_by_label("查看某一日").fill("2026-05-31")
    page.get_by_role("button", name="查看当日").click()
    expect(page).to_have_url(f"{base}/inbox/households/H-7?as_of=2026-05-31")
    expect(page.locator("#known-then")).not_to_contain_text("医疗")
    expect(page.locator("#known-now")).to_contain_text("医疗")
    expect(page.locator("#timeline .late")).to_contain_text("迟报：2026-06-01 才收到")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "household-as-of.png"), full_page=True)
    # The picker stops at today (max); a day after it typed into the address is refused.
    expect(page.get_by_label("查看某一日")).to_have_attribute("max", "2026-06-01")
    page.goto(f"{base}/inbox/households/H-7?as_of=2026-06-02")
    expect(page.locator("p.error")).to_contain_text("日期不能晚于今天")


def test_a_department_sees_and_downloads_its_own_rejections(chromium, county, tmp_path):  # noqa: F811
    settings, _, alerts, base, _ = county
    b = Builder("feed-browser")
    mine = b.illness("H-8", date(2026, 5, 10), "1000", "800")
    del mine["data"]["reimbursed_yuan"]
    theirs = b.income("H-8", date(2026, 5, 10), "x", *YEAR)
    token = alerts.accounts.issue("yibao", Role.PUBLISHER, "test", source="medical-insurance")
    publish(settings, signed(mine, "yibao", token), theirs)  # theirs: unsigned, the topic's
    wait_for(
        lambda: alerts.parts.feeds.views.rejections.search(limit=5).total == 2,
        timeout=60,
        what="the rejections kept",
    )
    page = page_without_script(chromium, base, token)
    expect(page).to_have_url(f"{base}/inbox/feed")
    rejection = page.locator("#rejections li.rejection")
    expect(rejection).to_have_count(1)
    expect(rejection).to_contain_text("字段 data.reimbursed_yuan：缺少此字段")
    expect(page.locator("#rejections")).not_to_contain_text("amount_yuan")
    page.screenshot(path=str(ARTIFACTS / "department-rejections.png"), full_page=True)
    with page.expect_download() as info:
        page.locator("#download").click()
    path = tmp_path / "rejections.csv"
    info.value.save_as(path)
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["row", "field", "reason"]
    assert [r[:2] for r in rows[1:]] == [["1", "data.reimbursed_yuan"]]
    assert rows[1][2].startswith("字段 data.reimbursed_yuan：缺少此字段")
    assert json.dumps(rows, ensure_ascii=False).count("amount_yuan") == 0
