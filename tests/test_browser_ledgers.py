"""The ledgers as the county office and township staff get them: real
headless Chromium against the running services. The office opens the
ledgers from its overview and downloads the county's workbook and one
township's; the files are opened again with openpyxl and their rows
checked. Township staff reach theirs from their case list, and another
township's is refused with the inbox's Chinese page."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from synthetic.sample import Builder
from tests.helpers import bearer, publish, wait_for
from tests.test_browser import NOW, YEAR, chromium  # noqa: F401 (fixture)
from tests.test_browser_cases import T, V, a_lead, county, person, shot  # noqa: F401 (fixture)

D = "Dongtang"


def downloaded(page: Page, locator) -> tuple[str, list]:
    with page.expect_download() as download:
        locator.click()
    # Playwright keeps the file under a name of its own, without the extension.
    wb = load_workbook(BytesIO(Path(download.value.path()).read_bytes()))
    sheets = {ws.title: [list(r) for r in ws.iter_rows(min_row=2, values_only=True)] for ws in wb}
    return download.value.suggested_filename, [wb.sheetnames, sheets]


def monitored(chromium, base: str, tokens: dict, cid: str, clock) -> None:  # noqa: F811
    """The case through every stage over the API, as in the procedure's tests."""
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
            "held_on": today, "attendees": 9, "agreed": True, "category": "unstable",
        }),
        ("notice", {"starts_on": today}),
    ):  # fmt: skip
        who = bearer(tokens["office"]) if path == "crosscheck" else li
        assert api.post(f"{base}/cases/{cid}/{path}", data=body, headers=who).ok
    clock.advance(days=5)
    assert api.post(f"{base}/cases/{cid}/notice/close", data={}, headers=li).ok
    chen, zhou = bearer(tokens["chen"]), bearer(tokens["zhou"])
    assert api.post(f"{base}/cases/{cid}/township-review", data={"approve": True}, headers=chen).ok
    decision = {"approve": True, "category": "unstable"}
    assert api.post(f"{base}/cases/{cid}/decision", data=decision, headers=zhou).ok


def test_the_county_office_and_township_staff_download_their_ledgers(chromium, county):  # noqa: F811
    settings, alerts, base, tokens, clock = county
    done = a_lead(settings, alerts, "H-7")
    a_lead(settings, alerts, "H-9")
    b = Builder("browser-ledgers")
    publish(
        settings,
        b.register("D-1", date(2025, 1, 1), "yellow", members=3, labour=2, township=D),
        b.income("D-1", date(2026, 5, 31), "9000.00", *YEAR),
    )
    monitored(chromium, base, tokens, done, clock)
    wait_for(
        lambda: (
            alerts.monitoring.search(limit=1, status="monitored").total == 1
            and alerts.case_list.search(limit=5, phase="open").total == 2
        ),
        timeout=60,
        what="the monitoring object and the open cases in the views",
    )

    office = person(chromium, base, tokens["office"])
    office.locator("#ledgers-link").click()
    expect(office.locator("h1")).to_have_text("台账")
    expect(office.locator("#ledgers section.ledger")).to_have_count(4)
    shot(office, "ledgers.png")
    name, (sheets, rows) = downloaded(office, office.locator("#ledger-monitoring"))
    assert name == f"监测对象台账_全县_{clock().date().isoformat()}.xlsx"
    assert sheets == ["全县汇总", T]
    assert rows["全县汇总"] == [[T, 1, 1, 0, 0], ["全县", 1, 1, 0, 0]]
    ((hid, town, village, category, since, *_),) = rows[T]
    assert (hid, town, village, category) == ("H-7", T, V, "脱贫不稳定户")
    assert since.date() == clock().date()

    name, (sheets, rows) = downloaded(office, office.locator("#ledger-cases"))
    assert name.startswith("识别和消除办理台账_全县_") and sheets == ["全县汇总", D, T]
    assert [(r[0], r[5]) for r in rows[T]] == [("H-9", "入户核实")]
    assert [r[0] for r in rows[D]] == ["D-1"]
    form = office.locator('section[data-ledger="cases"] form')
    form.get_by_label("乡镇").select_option(D)
    name, (sheets, rows) = downloaded(office, form.get_by_role("button"))
    assert name.startswith(f"识别和消除办理台账_{D}_") and sheets == [D]
    office.context.close()

    staff = person(chromium, base, tokens["wang"], phone=True)
    staff.goto(base + "/inbox/cases")
    staff.locator("#ledgers-link").click()
    name, (sheets, rows) = downloaded(staff, staff.locator("#ledger-tasks"))
    assert name.startswith(f"帮扶任务台账_{T}_") and sheets == [T]
    assert sorted(r[0] for r in rows[T]) == ["H-7", "H-9"]
    response = staff.goto(f"{base}/inbox/ledgers/cases.xlsx?township={D}")
    assert response is not None and response.status == 403
    expect(staff.locator("h1")).to_have_text("无权查看")
    staff.context.close()
