"""The inbox as a person uses it: real headless Chromium (Debian's package,
driven by Playwright) against the running services, from a department's
message on Kafka to a resolved task. Screenshots of the inbox and of a task
page are saved in test-artifacts/ (POVWATCH_TEST_ARTIFACTS to change it)."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from domain.access import Role
from synthetic.sample import Builder
from tests.helpers import publish, serving, wait_for

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("POVWATCH_TEST_ARTIFACTS", ROOT / "test-artifacts"))
NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)
YEAR = (date(2025, 6, 1), date(2026, 5, 31))
# As this machine's closed network needs: no background calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium():
    path = os.environ.get("POVWATCH_CHROMIUM") or shutil.which("chromium")
    if path is None:
        pytest.fail(
            "Chromium is required (Debian package 'chromium'; scripts/test.sh installs it)",
            pytrace=False,
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def county(broker_settings, tmp_path):
    with serving(broker_settings, tmp_path / "store", NOW) as (settings, _, alerts, bases):
        base = bases["alerts"]
        tokens = {
            "wang": alerts.accounts.issue("wang", Role.STAFF, "test", township="Jinlong"),
            "zhou": alerts.accounts.issue("zhou", Role.STAFF, "test", township="Yuanjiang"),
        }
        yield settings, alerts, base, tokens


def sign_in(page: Page, base: str, token: str) -> None:
    page.goto(base + "/inbox")
    expect(page).to_have_url(base + "/inbox/signin")
    page.get_by_label("登录码").fill(token)
    page.get_by_role("button", name="登录").click()


def test_a_department_message_becomes_a_task_that_staff_work_in_the_browser(chromium, county):
    settings, alerts, base, tokens = county
    b = Builder("browser")
    publish(
        settings,
        b.register("H-7", date(2025, 1, 1), "yellow", members=3, labour=2, village="Hekou"),
        b.income("H-7", date(2026, 5, 31), "9000.00", *YEAR),
    )
    wait_for(
        lambda: alerts.tasks.search(township="Jinlong").total == 1,
        timeout=60,
        what="the task in the tasks view",
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    phone = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = phone.new_page()
    sign_in(page, base, tokens["wang"])
    page.locator("#nav-tasks").click()  # staff land on their cases; the tasks are a click away
    expect(page.locator("h1")).to_have_text("帮扶任务 · Jinlong")
    item = page.locator("#tasks li.task")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("H-7")
    expect(item).to_contain_text("收入低于监测线")
    page.screenshot(path=str(ARTIFACTS / "inbox.png"), full_page=True)

    item.get_by_role("link").click()
    expect(page.locator("#factors")).to_contain_text("近12个月人均纯收入 3000.00 元，低于监测线")
    expect(page.locator("#household")).to_contain_text("Hekou")
    page.screenshot(path=str(ARTIFACTS / "task.png"), full_page=True)
    task_url = page.url

    page.locator("#acknowledge").get_by_role("button").click()
    expect(page.locator("p.ok")).to_have_text("已记录。")
    visit = page.locator("#visit")
    visit.get_by_label("走访日期").fill("2026-06-01")
    visit.get_by_label("情况记录").fill("见到户主，了解务工情况")
    visit.get_by_role("button").click()
    expect(page.locator("#history")).to_contain_text("登记走访")
    resolve = page.locator("#resolve")
    resolve.get_by_label("办理结果").fill("安排公益岗位")
    resolve.get_by_role("button").click()
    expect(page.locator("#status")).to_contain_text("已办结")
    history = page.locator("#history li")
    expect(history).to_have_count(4)
    for n, words in enumerate(("生成任务", "已签收", "登记走访", "办结")):
        expect(history.nth(n)).to_contain_text(words)
    for n in (1, 2, 3):
        expect(history.nth(n)).to_contain_text("wang")

    page.goto(base + "/inbox/tasks")
    expect(page.locator("#tasks li.task")).to_have_count(0)  # it left the inbox
    phone.close()

    # Staff of another township: 403, in the page as in the API.
    desk = chromium.new_context(locale="zh-CN")
    other = desk.new_page()
    sign_in(other, base, tokens["zhou"])
    response = other.goto(task_url)
    assert response is not None and response.status == 403
    expect(other.locator("h1")).to_have_text("无权查看")
    desk.close()
    assert (ARTIFACTS / "inbox.png").stat().st_size > 0 and (
        ARTIFACTS / "task.png"
    ).stat().st_size > 0
