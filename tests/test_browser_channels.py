"""Every channel in, every person reached, as people use it: real headless
Chromium against the running services. A household card's QR code is read
from the printed PDF and opened on a phone; the household declares; the
township's WeCom-format robot (a real local server) gets one grouped
message; staff verify, the county declines with a reason, and the
household's link shows the reason's category (its words stay with staff).
A lead staff found, recorded in the inbox, reaches the same robot.
Screenshots are saved in test-artifacts/."""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO
from uuid import UUID

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from domain.access import Principal, Role
from services.cases.cards import cards_pdf
from services.presentation.fonts import find_font
from synthetic.sample import Builder
from tests.helpers import free_port, publish, serving, wait_for
from tests.receivers import WECOM_KEY, Robots
from tests.test_alerts import Clock
from tests.test_browser import NOW, chromium, sign_in  # noqa: F401 (fixture)
from tests.test_browser_cases import PHONE, T, V, shot

NOTIFY = """
base_url: {base}
grouping: {{wait_s: 0, interval_s: 10, repeat_s: 3600}}
receivers:
  - id: jinlong-staff
    kind: wecom
    township: {township}
    roles: [village, staff]
    url: {robot}
    key: {{env: JINLONG_WECOM_KEY}}
"""


@pytest.fixture
def county(broker_settings, tmp_path, monkeypatch):
    robots = Robots().start()
    monkeypatch.setenv("JINLONG_WECOM_KEY", WECOM_KEY)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    notify = tmp_path / "notify.yaml"
    notify.write_text(
        NOTIFY.format(base=base, township=T, robot=robots.url("wecom")), encoding="utf-8"
    )
    clock = Clock(NOW)
    more = dict(alerts_port=port, public_url=base, notify_file=notify, state_dir=tmp_path / "state")
    try:
        with serving(broker_settings, tmp_path / "store", clock, **more) as (
            settings,
            _,
            alerts,
            _b,
        ):
            yield settings, alerts, base, robots, clock
    finally:
        robots.stop()


def registered(settings, alerts, *households: str) -> None:
    """The registry's households, as the poverty office publishes them."""
    b = Builder("channels")
    publish(
        settings,
        *(
            b.register(h, date(2025, 1, 1), "yellow", members=3, labour=2, village=V)
            for h in households
        ),
    )
    for h in households:
        wait_for(lambda h=h: alerts.risk.get(h), timeout=60, what=f"{h} in the risk view")


def scanned(pdf: bytes) -> str:
    """The URL a phone's camera reads from the card (the page's QR image)."""
    [page] = PdfReader(BytesIO(pdf)).pages
    found = [
        b.text
        for image in page.images
        for b in zxingcpp.read_barcodes(Image.open(BytesIO(image.data)).convert("L"))
    ]
    assert len(found) == 1
    return found[0]


def pushed(alerts, robots: Robots, n: int) -> list[str]:
    """The outbox's two jobs run until ``n`` messages reached the robot."""

    def step() -> bool:
        alerts.run_job("push_flush")
        alerts.run_job("push_deliver")
        return len(robots.received["wecom"]) >= n

    wait_for(step, timeout=60, what=f"{n} message(s) at the township's robot")
    return [b["markdown"]["content"] for b in robots.received["wecom"]]


def through_to_decline(alerts, case_id: str) -> None:
    """Verification finds the hardship passed; the village does not agree;
    the township and the county decline, giving the reason back."""
    cases, today = alerts.cases, NOW.date()
    village = Principal("li", Role.VILLAGE, T, village=V)
    staff = Principal("wang", Role.STAFF, T)
    cid = UUID(case_id)
    cases.act(
        cid, "verify", village, visited_on=today, members=3, labour_capable=2,
        income_estimate_yuan=15000, hardship=[], consent=True,
    )  # fmt: skip
    cases.act(cid, "authorise", staff, signed=True, signed_on=today, kept_at="村委会")
    cases.act(cid, "cross_check", Principal("xu", Role.COUNTY), matches=True)
    cases.act(
        cid, "village_review", village, held_on=today, attendees=11, agreed=False,
        note="评议认为收入稳定",
    )  # fmt: skip
    cases.act(cid, "township_review", Principal("chen", Role.REVIEWER, T), approve=True)
    cases.act(
        cid, "decide", Principal("zhou", Role.APPROVER), approve=False,
        reason="家庭收入稳定，医保报销后自付不高", reason_category="met_by_policy",
    )  # fmt: skip


def test_a_household_declares_from_its_card_and_sees_the_county_s_reason(county, chromium):  # noqa: F811
    settings, alerts, base, robots, clock = county
    registered(settings, alerts, "H-CARD1")
    intake = alerts.parts.intake
    intake.declarations.issue(T, V, "office")
    faces = intake.declarations.faces(["H-CARD1"], T, V)
    url = scanned(cards_pdf(faces, find_font(None)))
    assert url.startswith(base + "/d/")

    phone = chromium.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False)
    page: Page = phone.new_page()
    page.goto(url)
    expect(page.locator("#household")).to_have_text("H-CARD1")
    page.select_option("#hardship", "illness")
    page.fill("#description", "母亲住院做手术，花了很多钱")
    page.click("#submit")
    expect(page.locator("#state-received")).to_be_visible()
    expect(page.locator("#declared")).to_be_visible()
    shot(page, "channels-declared.png")

    [message] = pushed(alerts, robots, 1)
    assert f"{V} H-CARD1" in message and "新线索" in message
    assert "母亲" not in message and "手术" not in message  # no health detail pushed

    case = wait_for(
        lambda: alerts.case_list.search(household_id="H-CARD1").items, what="the case listed"
    )[0]
    assert case.channel == "household"
    through_to_decline(alerts, case.case_id)
    page.goto(url)
    expect(page.locator("#state-declined")).to_be_visible()
    # The category of the county's reason; its words (a member's hospital bills) stay with staff.
    expect(page.locator("#reason")).to_have_text("困难已通过现有帮扶政策解决")
    assert "医保" not in page.content()
    shot(page, "channels-declined.png")
    clock.advance(seconds=11)  # the group's interval after its last message
    decided = pushed(alerts, robots, 2)[1]
    assert "县级审定：不纳入监测" in decided


def test_a_lead_staff_found_follows_the_same_path(county, chromium):  # noqa: F811
    settings, alerts, base, robots, clock = county
    registered(settings, alerts, "H-ROUND1")
    token = alerts.accounts.issue("wang", Role.STAFF, "test", township=T)
    page = chromium.new_context(viewport=PHONE, locale="zh-CN").new_page()
    sign_in(page, base, token)
    page.goto(base + "/inbox/leads/new")
    page.fill("#household_id", "H-ROUND1")
    page.check("input[name=factors][value=income_drop]")
    page.fill("#note", "走访发现家中务工人员返乡")
    shot(page, "channels-staff-lead.png")
    page.click("#record-lead")
    expect(page).to_have_url(re.compile(r"/inbox/cases/[0-9a-f-]+\?done=lead$"))
    expect(page.locator("main")).to_contain_text("H-ROUND1")
    [message] = pushed(alerts, robots, 1)
    assert f"{V} H-ROUND1" in message and "/inbox/cases/" in message


def test_help_first_for_a_disaster_reaches_the_townships_robot(county, chromium):  # noqa: F811
    settings, alerts, base, robots, clock = county
    registered(settings, alerts, "H-FLOOD1")
    token = alerts.accounts.issue("wang", Role.STAFF, "test", township=T)
    page = chromium.new_context(viewport=PHONE, locale="zh-CN").new_page()
    sign_in(page, base, token)
    page.goto(base + "/inbox/leads/new")
    page.fill("#household_id", "H-FLOOD1")
    page.check("input[name=factors][value=disaster_loss]")
    page.fill("#note", "洪水冲毁房屋")
    page.click("#record-lead")
    expect(page).to_have_url(re.compile(r"/inbox/cases/[0-9a-f-]+\?done=lead$"))
    pushed(alerts, robots, 1)
    # The green channel's form is on the case page: help first, identify after.
    form = page.locator("#help-first-form")
    form.get_by_label("帮扶措施").select_option(label="防贫救助基金")
    form.get_by_label("责任部门").fill("县应急管理局")
    form.get_by_label("完成期限").fill("2026-06-10")
    form.get_by_role("button").click()
    expect(page.locator("#green-channel")).to_have_text("绿色通道")
    expect(page.locator("#help-first")).to_contain_text("县应急管理局")
    shot(page, "channels-help-first.png")
    clock.advance(seconds=11)
    message = pushed(alerts, robots, 2)[1]
    assert f"{V} H-FLOOD1" in message and "绿色通道先帮后认：防贫救助基金" in message
