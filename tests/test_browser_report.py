"""The monthly report as the county office uses it: real headless Chromium
against the running services. Departments' messages on Kafka open a lead
and record a poverty loan; the report's job computes June; the office opens
the report on a phone, sees its charts as images, picks another month with
the GET form, downloads the PDF (read back with pypdf: its tables hold the
API's figures), and finds the charts on the county overview. Screenshots
go to test-artifacts/."""

from __future__ import annotations

import re
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from synthetic.sample import Builder
from tests.helpers import bearer, publish, wait_for
from tests.test_browser import YEAR, chromium  # noqa: F401 (fixture)
from tests.test_browser_cases import V, a_lead, county, person, shot  # noqa: F401 (fixture)

CHARTS = ("trend", "stages", "loans")


def drawn(page: Page, selector: str) -> None:
    """The image is shown and its file decoded to a picture of some size."""
    img = page.locator(selector)
    expect(img).to_be_visible()
    wait_for(
        lambda: img.evaluate("i => i.complete && i.naturalWidth > 100 && i.naturalHeight > 100"),
        what=f"{selector} to load", timeout=10,
    )  # fmt: skip


def test_the_county_office_reads_the_monthly_report_and_downloads_its_pdf(chromium, county):  # noqa: F811
    settings, alerts, base, tokens, clock = county
    a_lead(settings, alerts, "H-21")  # a department's lead, left at home verification
    b = Builder("report-loans")
    publish(
        settings,
        b.register("H-22", date(2025, 1, 1), "green", village=V),
        b.income("H-22", date(2026, 5, 31), "20000.00", *YEAR),
        b.loan("H-22", date(2026, 1, 5), "L1", "5000.00", date(2027, 1, 5)),
    )
    wait_for(
        lambda: (s := alerts.risk.get("H-22")) is not None and s.open_loans == 1,
        timeout=60, what="the loan in the risk view",
    )  # fmt: skip
    clock.advance(days=30)  # 1 July: the job's night after June
    assert alerts.run_job("monthly_report") == 2
    api = httpx.get(f"{base}/reports/monthly/2026-06", headers=bearer(tokens["office"]))
    assert api.status_code == 200, api.text
    report = api.json()

    office = person(chromium, base, tokens["office"], phone=True)
    office.locator("#nav-report").click()
    expect(office).to_have_url(base + "/inbox/reports/monthly")  # last month by default
    expect(office.locator("#report-as-of")).to_contain_text("数据截至 2026-06-30")
    expect(office.locator("#report-as-of")).to_contain_text("月度终值")
    for name in CHARTS:
        drawn(office, f"#chart-{name}")
    expect(office.locator("#table-loans tbody tr").last).to_contain_text("全县合计")
    shot(office, "report-month.png")

    with office.expect_download() as download:
        office.locator("#report-pdf").click()
    reader = PdfReader(BytesIO(Path(download.value.path()).read_bytes()))
    printed = "".join(p.extract_text() for p in reader.pages)
    text = re.sub(r"\s+", "", printed)
    assert "防止返贫动态监测月报（2026-06）" in text
    # Every row of every table of the API's JSON, cell after cell, in the PDF.
    for section in report["sections"]:
        for table in section["tables"]:
            assert re.sub(r"\s+", "", "".join(table["columns"])) in text, table["key"]
            for row in table["rows"]:
                cells = "".join("" if c is None else str(c) for c in row)
                assert re.sub(r"\s+", "", cells) in text, (table["key"], row)
    assert sum(len(p.images) for p in reader.pages) == len(CHARTS)
    assert "H-21" not in text and "H-22" not in text
    # No personal number in a cell (the standard table's counts, cell after
    # cell, run together once the spaces between the cells are taken out).
    assert not re.search(r"\d{11,}", printed)

    office.locator("#month").fill("2026-07")
    office.locator("#month-picker").get_by_role("button").click()
    expect(office).to_have_url(base + "/inbox/reports/monthly?month=2026-07")
    expect(office.locator("#report-as-of")).to_contain_text("本月截至当日")
    office.goto(base + "/inbox/reports/monthly?month=2025-01")
    expect(office.locator("#report-missing")).to_contain_text("尚未生成")

    office.set_viewport_size({"width": 1280, "height": 900})
    office.locator("#nav-case-overview").click()
    expect(office.locator("#report-charts h2")).to_contain_text("2026-07")
    for name in CHARTS:
        drawn(office, f"#overview-chart-{name}")
    # The standard's table: per township, the households failing each guarantee.
    expect(office.locator("#standard h2")).to_contain_text("两不愁三保障及饮水安全")
    expect(office.locator("#standard-townships thead")).to_contain_text("饮水安全")
    expect(office.locator("#standard-totals")).to_contain_text("全县合计")
    shot(office, "cases-overview-charts.png")
    office.context.close()

    staff = person(chromium, base, tokens["wang"])
    expect(staff.locator("#nav-report")).to_have_count(0)
    staff.goto(base + "/inbox/reports/monthly")
    expect(staff.locator("main h1")).to_have_text("无权查看")
    staff.context.close()
    assert clock().date() == date(2026, 6, 1) + timedelta(days=30)
