"""A county's week as its people work it, in real headless Chromium against
the running services on the real broker: at 07:30 on Monday 2026-12-07 in
Xiangyin (23:30 UTC on the Sunday) a village worker records that Monday's
home visit on a phone, the county office runs the cross-check (信息比对),
the village posts the notice, whose PDF, downloaded from the page, names the
head of household and no code or number; the township and the county decide
a week later, and the monitoring object's new major illness, reported by
medical insurance, is a help task on its plan, not a second identification.
SQLite only, as every browser test (tests/helpers.py ``serving``)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from domain import countyday
from services.infra.procedurefile import DEFAULT_PROCEDURE
from synthetic.sample import Builder
from tests.helpers import publish, wait_for
from tests.test_browser import chromium  # noqa: F401 (fixture)
from tests.test_browser_cases import past_the_township, person, running, shot, through_the_village
from tests.test_browser_plan import illness_answered_on_the_plan
from tests.test_notice import HEALTH_WORDS, ID_NUMBER, LONG_DIGITS

MONDAY_0730 = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)  # 07:30 on Monday in China
MONDAY = date(2026, 12, 7)
TOWNSHIP, VILLAGE, HID, HEAD = "金龙镇", "石塘村", "XY-0107", "王建国"
OFFICE_PHONE = "0730-5712345"


@pytest.fixture
def county(broker_settings, tmp_path):
    # The procedure as shipped, with the township office's number for objections.
    procedure = tmp_path / "procedure.yaml"
    text = DEFAULT_PROCEDURE.read_text(encoding="utf-8")
    procedure.write_text(
        text.replace("  offices: {}", f'  offices: {{{TOWNSHIP}: "{OFFICE_PHONE}"}}'),
        encoding="utf-8",
    )
    with running(
        broker_settings,
        tmp_path / "store",
        MONDAY_0730,
        township=TOWNSHIP,
        village=VILLAGE,
        procedure_file=procedure,
    ) as world:
        yield world


def _lead(settings, alerts) -> str:
    """The registry's household with its head's name; agriculture's report of
    Sunday: last year's income 3,000 yuan a head, below the line."""
    b = Builder("county-walk")
    sunday = MONDAY - timedelta(days=1)
    publish(
        settings,
        b.register(
            HID, date(2025, 1, 1), "yellow", members=3, labour=2,
            township=TOWNSHIP, village=VILLAGE, head_name=HEAD,
        ),
        b.income(HID, sunday, "9000.00", sunday - timedelta(days=365), sunday),
    )  # fmt: skip
    wait_for(
        lambda: alerts.case_list.search(limit=5, household_id=HID).total == 1,
        timeout=60,
        what="the case in the cases view",
    )
    return alerts.case_list.search(limit=5, household_id=HID).items[0].case_id


def _notice_text(page: Page) -> str:
    with page.expect_download() as download:
        page.locator("#notice-pdf").click()
    pdf = PdfReader(BytesIO(Path(download.value.path()).read_bytes()))
    return re.sub(r"[\s\x00]+", "", "".join(p.extract_text() for p in pdf.pages))


def test_a_village_workers_morning_to_a_new_risk_on_the_plan(chromium, county):  # noqa: F811
    settings, alerts, base, tokens, clock = county
    cid = _lead(settings, alerts)

    # 07:30 on Monday: the work list and the case count from the county's Monday.
    village = person(chromium, base, tokens["li"], phone=True)
    item = village.locator("#cases li.case")
    expect(item).to_contain_text(f"入户核实 · {HID} · {VILLAGE}")
    expect(item).to_contain_text("期限 2026-12-09")  # 2 working days after Monday
    village.goto(f"{base}/inbox/cases/{cid}")
    expect(village.locator("#due")).to_have_text("2026-12-09")
    expect(village.locator("#status")).to_contain_text("2027-01-04")  # 20 working days
    expect(village.locator("#history")).to_contain_text("2026-12-07 07:")  # opened in China time
    expect(village.locator("body")).not_to_contain_text(HEAD)  # the name is the notice's only
    village.goto(base + "/inbox/cases")
    office = person(chromium, base, tokens["office"])
    through_the_village(village, base, cid, office, today=MONDAY)

    records = village.locator("#records")
    expect(records).to_contain_text("2026-12-07")  # the visit, dated the county's Monday
    history = village.locator("#history")
    expect(history.locator("li", has_text="完成入户核实")).to_contain_text("2026-12-07 07:30")
    checked = history.locator("li", has_text="完成信息比对")
    expect(checked).to_contain_text("office (县乡村振兴局)")  # the county office's step
    expect(village.locator("#due")).to_have_text("2026-12-14")  # the notice stage: 7 days

    text = _notice_text(village)
    assert "拟纳入防止返贫监测对象公示" in text and "金龙镇石塘村" in text
    assert HEAD in text and "3人" in text and "脱贫不稳定户" in text
    assert "2026年12月7日至2026年12月11日（共5天）" in text
    assert OFFICE_PHONE in text and "12317" in text
    assert HID not in text and not re.search(r"[A-Za-z]", text)
    for pattern in (LONG_DIGITS, ID_NUMBER, HEALTH_WORDS):
        assert not pattern.search(text), pattern.findall(text)
    shot(village, "walk-notice.png")

    # A week on, 07:30 on Monday 2026-12-14: the notice ended on Friday.
    clock.advance(days=7)
    village.reload()
    approver = past_the_township(chromium, base, tokens, village)
    expect(approver.locator("#due")).to_have_text("2026-12-16")  # 2 working days
    decision = approver.locator("#decision")
    decision.get_by_label("监测对象类别").select_option(label="脱贫不稳定户")
    decision.get_by_role("button").click()
    expect(approver.locator("#status")).to_contain_text("已纳入监测")
    expect(approver.locator("#history li").last).to_contain_text("2026-12-14 07:30")
    approver.context.close()
    wait_for(
        lambda: alerts.monitoring.search(limit=1, status="monitored").total == 1,
        timeout=60,
        what="the monitoring object in the monitoring view",
    )

    # Medical insurance reports a major illness: 25,000 yuan paid by the family.
    on = countyday.day(clock())
    assert on == date(2026, 12, 14)
    illness = Builder("county-walk-illness").illness(HID, on, "300000.00", "275000.00", person="p2")
    publish(settings, illness)
    wait_for(
        lambda: alerts.tasks.search(limit=5, household_id=HID, kind="plan").total == 1,
        timeout=60,
        what="the plan task in the tasks view",
    )

    staff = person(chromium, base, tokens["wang"], phone=True)
    illness_answered_on_the_plan(staff, HID, on, "walk")  # due 2026-12-29, not the 28th
    staff.context.close()

    village = person(chromium, base, tokens["li"], phone=True)
    expect(village.locator("#cases li.case")).to_have_count(0)
    village.goto(f"{base}/inbox/cases/{cid}")
    expect(village.locator("#status")).to_contain_text("已纳入监测")
    expect(village.locator("body")).not_to_contain_text(HEAD)
    village.context.close()
    assert alerts.case_list.search(limit=5, household_id=HID).total == 1
