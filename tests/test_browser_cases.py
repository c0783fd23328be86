"""The monitoring procedure as the people who take it use it: real headless
Chromium against the running services, from a department's message on
Kafka to a monitoring object with its help plan. Village staff work on a
phone; the notice's PDF is downloaded through the page and read back; the
clock is moved past the notice. Screenshots of each stage's page are saved
in test-artifacts/ (POVWATCH_TEST_ARTIFACTS to change it)."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from domain.access import Role
from synthetic.sample import Builder
from tests.helpers import bearer, publish, serving, wait_for
from tests.test_alerts import Clock
from tests.test_browser import ARTIFACTS, NOW, YEAR, chromium, sign_in  # noqa: F401 (fixture)

PHONE = {"width": 390, "height": 844}
T, V = "Jinlong", "Hekou"


@contextmanager
def running(broker_settings, store_dir, now: datetime, township=T, village=V, **more):
    """The services on a clock the test advances, and a sign-in code for each
    role of the procedure (li works in ``village`` of ``township``)."""
    clock = Clock(now)
    with serving(broker_settings, store_dir, clock, **more) as (settings, _, alerts, bases):
        accounts = alerts.accounts
        tokens = {
            "li": accounts.issue("li", Role.VILLAGE, "test", township=township, village=village),
            "zhao": accounts.issue(
                "zhao", Role.VILLAGE, "test", township=township, village="Other"
            ),
            "wang": accounts.issue("wang", Role.STAFF, "test", township=township),
            "chen": accounts.issue("chen", Role.REVIEWER, "test", township=township),
            "zhou": accounts.issue("zhou", Role.APPROVER, "test"),
            "office": accounts.issue("office", Role.COUNTY, "test"),
        }
        yield settings, alerts, bases["alerts"], tokens, clock


@pytest.fixture
def county(broker_settings, tmp_path):
    with running(broker_settings, tmp_path / "store", NOW) as world:
        yield world


def a_lead(settings, alerts, household: str) -> str:
    """A department's income report opens a lead: the household's case."""
    b = Builder(f"browser-{household}")
    publish(
        settings,
        b.register(household, date(2025, 1, 1), "yellow", members=3, labour=2, village=V),
        b.income(household, date(2026, 5, 31), "9000.00", *YEAR),
    )
    wait_for(
        lambda: alerts.case_list.search(limit=5, household_id=household).total == 1,
        timeout=60,
        what="the case in the cases view",
    )
    return alerts.case_list.search(limit=5, household_id=household).items[0].case_id


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def person(chromium: Browser, base: str, token: str, phone: bool = False) -> Page:  # noqa: F811
    context = chromium.new_context(viewport=PHONE if phone else None, locale="zh-CN")
    page = context.new_page()
    sign_in(page, base, token)
    return page


def through_the_village(
    page: Page, base: str, cid: str, office: Page, today: date = NOW.date()
) -> None:
    """Verification, the household's authorisation and village review, on
    village staff's phone; the county office's cross-check between them.
    ``today`` is the county's day: the forms' dates start on it."""
    expect(page).to_have_url(base + "/inbox/cases")
    item = page.locator("#cases li.case")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("入户核实")
    item.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/inbox/cases/{cid}$"))
    form = page.locator("#verify")
    visited = form.get_by_label("走访日期")
    expect(visited).to_have_value(today.isoformat())
    expect(visited).to_have_attribute("max", today.isoformat())  # no later day
    form.get_by_label("家庭人口").fill("3")
    form.get_by_label("有劳动能力人数").fill("2")
    form.get_by_label("家庭年纯收入（估算，元）").fill("9000")
    form.get_by_label("收入低于监测线").check()
    form.get_by_label("农户同意授权部门信息比对").check()
    form.get_by_label("情况记录").fill("入户核实：务工收入减少")
    shot(page, "cases-verify.png")
    form.get_by_role("button").click()
    expect(page.locator("p.ok")).to_have_text("已记录。")
    expect(page.locator("#status")).to_contain_text("信息比对")
    consent = page.locator("#authorisation")
    consent.get_by_label("授权书存放处").fill("河口村村委会档案室")
    consent.get_by_role("button").click()
    expect(page.locator("#consent")).to_contain_text("河口村村委会档案室")
    expect(page.locator("#not-yours")).to_be_visible()  # the check is the county office's
    office.goto(f"{base}/inbox/cases/{cid}")
    office.locator("#crosscheck").get_by_role("button").click()
    expect(office.locator("#status")).to_contain_text("民主评议")
    office.context.close()
    page.reload()
    expect(page.locator("#records")).to_contain_text("部门信息与核实一致")
    expect(page.locator("#status")).to_contain_text("民主评议")
    review = page.locator("#village-review")
    review.get_by_label("参会人数").fill("15")
    review.get_by_label("监测对象类别").select_option(label="脱贫不稳定户")
    review.get_by_role("button").click()
    expect(page.locator("#status")).to_contain_text("村级公示")
    notice = page.locator("#post-notice")
    expect(notice.get_by_label("公示天数")).to_have_value("5")  # the procedure's minimum
    notice.get_by_role("button").click()
    ends = today + timedelta(days=4)
    expect(page.locator("#notice")).to_contain_text(f"{today} – {ends}")


def past_the_township(chromium: Browser, base: str, tokens: dict, village: Page) -> Page:  # noqa: F811
    """The notice closed on village staff's phone (its last day past), the
    township's review: the county approver's page of the case."""
    village.locator("#close-notice").get_by_role("button").click()
    expect(village.locator("#status")).to_contain_text("乡镇审核")
    village.context.close()
    reviewer = person(chromium, base, tokens["chen"])
    reviewer.locator("#cases li.case").get_by_role("link").click()
    reviewer.locator("#township-review").get_by_role("button").click()
    expect(reviewer.locator("#status")).to_contain_text("县级审定")
    reviewer.context.close()
    approver = person(chromium, base, tokens["zhou"])
    approver.locator("#cases li.case").get_by_role("link").click()
    return approver


def test_a_lead_becomes_a_monitoring_object_with_a_plan_in_the_browser(chromium, county):  # noqa: F811
    settings, alerts, base, tokens, clock = county
    cid = a_lead(settings, alerts, "H-7")

    village = person(chromium, base, tokens["li"], phone=True)
    through_the_village(village, base, cid, person(chromium, base, tokens["office"]))
    shot(village, "cases-notice.png")
    with village.expect_download() as download:
        village.locator("#notice-pdf").click()
    text = "".join(
        p.extract_text() for p in PdfReader(BytesIO(Path(download.value.path()).read_bytes())).pages
    )
    assert "H-7" in text and "Hekou" in text
    assert not re.search(r"\d{11,}", text)
    assert not set("病疾残诊医药") & set(text), text

    village.locator("#close-notice").get_by_role("button").click()
    expect(village.locator("#problem")).to_contain_text("当前不能办理此步骤")  # not ended yet
    clock.advance(days=5)
    village.goto(f"{base}/inbox/cases/{cid}")
    village.locator("#close-notice").get_by_role("button").click()
    expect(village.locator("#status")).to_contain_text("乡镇审核")
    village.context.close()

    reviewer = person(chromium, base, tokens["chen"])
    expect(reviewer).to_have_url(base + "/inbox/cases")
    reviewer.locator("#cases li.case").get_by_role("link").click()
    shot(reviewer, "cases-township.png")
    reviewer.locator("#township-review").get_by_role("button").click()
    expect(reviewer.locator("#status")).to_contain_text("县级审定")
    reviewer.context.close()

    approver = person(chromium, base, tokens["zhou"])
    approver.locator("#cases li.case").get_by_role("link").click()
    decision = approver.locator("#decision")
    decision.get_by_label("监测对象类别").select_option(label="脱贫不稳定户")
    shot(approver, "cases-county.png")
    decision.get_by_role("button").click()
    expect(approver.locator("#status")).to_contain_text("已纳入监测")
    expect(approver.locator("#history")).to_contain_text("县级审定：纳入监测")
    approver.context.close()

    office = person(chromium, base, tokens["office"])
    office.get_by_role("link", name="监测帮扶概况").first.click()
    wait_for(
        lambda: alerts.monitoring.search(limit=1, status="monitored").total == 1,
        what="the monitoring object in the monitoring view",
    )
    office.reload()
    totals = office.locator("#totals")
    expect(totals).to_contain_text("全县合计")
    header = office.locator("#case-townships thead th")
    column = [header.nth(i).inner_text() for i in range(header.count())].index("脱贫不稳定户")
    expect(totals.locator("td").nth(column)).to_have_text("1")
    shot(office, "cases-overview.png")
    office.context.close()

    staff = person(chromium, base, tokens["wang"], phone=True)
    expect(staff.locator("#nav-cases")).to_be_visible()
    staff.goto(base + "/inbox/monitoring/H-7")
    for kind, department in (("公益岗位", "乡镇人社站"), ("医疗救助", "县医保局")):
        form = staff.locator("#add-measure")
        form.get_by_label("帮扶措施").select_option(label=kind)
        form.get_by_label("责任部门").fill(department)
        form.get_by_label("完成期限").fill("2026-07-10")
        form.get_by_role("button").click()
        expect(staff.locator("p.ok")).to_have_text("已记录。")
    expect(staff.locator("#plan li.measure")).to_have_count(2)
    expect(staff.locator("#plan")).to_contain_text("县医保局")
    shot(staff, "cases-plan.png")
    first = staff.locator("#plan li.measure").first
    first.get_by_label("状态").select_option(label="已落实")
    first.get_by_role("button").click()
    expect(staff.locator("p.ok")).to_have_text("已记录。")
    staff.context.close()

    # Half a year on, income stable above the line: the clearance job proposes
    # clearance, and it passes the same chain (without the cross-check).
    stored = len(alerts.households.history("H-7"))
    clock.advance(days=190)
    d = clock().date()
    b = Builder("browser-clearance")
    publish(
        settings,
        b.income("H-7", d, "15000.00", d - timedelta(days=180), d - timedelta(days=1)),
        b.income("H-7", d, "15000.00", d - timedelta(days=365), d - timedelta(days=181)),
    )
    wait_for(
        lambda: len(alerts.households.history("H-7")) == stored + 2,
        timeout=60,
        what="the new incomes in the store",
    )
    assert alerts.run_job("clearance") == 1
    wait_for(
        lambda: alerts.case_list.search(limit=5, household_id="H-7", phase="open").total == 1,
        what="the clearance case in the cases view",
    )
    village = person(chromium, base, tokens["li"], phone=True)
    village.locator("#cases li.case").get_by_role("link").click()
    expect(village.locator("#status")).to_contain_text("风险消除")
    form = village.locator("#verify")
    form.get_by_label("家庭人口").fill("3")
    form.get_by_label("有劳动能力人数").fill("2")
    form.get_by_label("家庭年纯收入（估算，元）").fill("30000")
    form.get_by_role("button").click()
    expect(village.locator("#status")).to_contain_text("民主评议")  # no cross-check
    review = village.locator("#village-review")
    review.get_by_label("参会人数").fill("12")
    review.get_by_role("button").click()
    village.locator("#post-notice").get_by_role("button").click()
    shot(village, "cases-clearance.png")
    clock.advance(days=5)
    village.reload()
    approver = past_the_township(chromium, base, tokens, village)
    approver.locator("#decision").get_by_role("button").click()
    expect(approver.locator("#status")).to_contain_text("已消除风险")
    approver.goto(base + "/inbox/monitoring/H-7")
    expect(approver.locator("#record")).to_contain_text("已消除风险")
    approver.context.close()
    for name in ("verify", "notice", "township", "county", "plan", "overview", "clearance"):
        assert (ARTIFACTS / f"cases-{name}.png").stat().st_size > 0


def test_a_reviewer_returns_a_case_and_another_village_is_refused(chromium, county):  # noqa: F811
    settings, alerts, base, tokens, clock = county
    cid = a_lead(settings, alerts, "H-8")
    api = chromium.new_context().request
    li, today = bearer(tokens["li"]), NOW.date().isoformat()
    for path, body in (
        ("verification", {
            "visited_on": today, "members": 3, "labour_capable": 2,
            "income_estimate_yuan": 9000, "hardship": [], "consent": True,
        }),
        ("authorisation", {
            "signed": True, "signed_on": today, "signer": "head", "kept_at": "村委会",
        }),
        ("crosscheck", {"matches": True}),
        ("village-review", {
            "held_on": today, "attendees": 9, "agreed": True, "category": "sudden",
        }),
        ("notice", {"starts_on": today}),
    ):  # fmt: skip
        who = bearer(tokens["office"]) if path == "crosscheck" else li
        assert api.post(f"{base}/cases/{cid}/{path}", data=body, headers=who).ok
    clock.advance(days=5)
    assert api.post(f"{base}/cases/{cid}/notice/close", data={}, headers=li).ok

    reviewer = person(chromium, base, tokens["chen"])
    reviewer.goto(f"{base}/inbox/cases/{cid}")
    review = reviewer.locator("#township-review")
    review.get_by_label("退回前面的环节").check()
    review.get_by_role("button").click()
    expect(reviewer.locator("#problem")).to_contain_text("理由")  # a return says why
    review = reviewer.locator("#township-review")
    review.get_by_label("退回前面的环节").check()
    review.get_by_label("退回到").select_option(label="入户核实")
    review.get_by_label("理由").fill("收入需重新核实")
    review.get_by_role("button").click()
    expect(reviewer.locator("#status")).to_contain_text("入户核实")
    expect(reviewer.locator("#history")).to_contain_text("退回 — 入户核实: 收入需重新核实")
    expect(reviewer.locator("#verify")).to_have_count(0)  # not the reviewer's stage
    reviewer.context.close()

    other = person(chromium, base, tokens["zhao"], phone=True)
    response = other.goto(f"{base}/inbox/cases/{cid}")
    assert response is not None and response.status == 403
    expect(other.locator("h1")).to_have_text("无权查看")
    other.context.close()
