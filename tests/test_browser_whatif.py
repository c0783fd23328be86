"""What-if as the county office uses it, in real headless Chromium against the
running services: a county's year of feeds through Kafka and the monitor,
then a proposed policy uploaded (a bad one first, refused with its line and
field), the run followed on a page that refreshes itself, the townships'
table read and the workbook downloaded and opened again. Township staff
may not use the page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from domain.access import Role
from domain.facts import fold
from domain.household import FactRef, Household
from domain.risk import assess
from schemas.events import parse_object
from services.households.app import Households
from services.households.statusview import open_view
from services.infra.policyfile import load_policies
from synthetic.county import make_county, messages
from tests.helpers import publish, serving, wait_for
from tests.test_browser import NOW, chromium, sign_in  # noqa: F401 (fixture)
from tests.test_browser_cases import shot
from tests.test_whatif_domain import IN_FORCE, raised

ON = NOW.date()
OLD, NEW = Decimal("7500"), Decimal("9000")
FEEDS = list(messages(make_county(40, seed=5, months=12, start=date(2025, 6, 1))))


def between_the_lines(settings) -> set[str]:
    """The registered households whose income per person over the 12 months
    lies between the line in force and the proposed one, from the feeds."""
    households: dict[str, Household] = {}
    for m in FEEDS:
        ev = parse_object(m)
        h = households.get(ev.household_id) or households.setdefault(
            ev.household_id, Household.open(ev.household_id)
        )
        h.receive(
            ev.type,
            FactRef(ev.source, ev.event_id, ev.occurred_at, ev.digest()),
            ev.data.model_dump(),
        )
    policy = load_policies(settings).in_force(ON)
    out = set()
    for code, h in households.items():
        s = assess(fold(list(h.collect_events())).facts, policy, ON)
        pci = s.per_capita_income_yuan
        if s.registered and pci is not None and OLD <= pci < NEW:
            out.add(code)
    return out


@pytest.fixture
def county(broker_settings, tmp_path):
    with serving(broker_settings, tmp_path / "store", NOW) as (settings, _, alerts, bases):
        publish(settings, *FEEDS)
        store = Households(env=settings.store_env("Monitor"))
        view = open_view(settings)
        try:
            # Every message stored (a household's stream opens with an event of
            # its own) and the risk view at the store's end.
            wait_for(
                lambda: (
                    (top := store.recorder.max_notification_id() or 0) == len(FEEDS) + 40
                    and view.max_tracking_id(store.name) == top
                ),
                timeout=90,
                what="the county's feeds in the store and the risk view",
            )
        finally:
            store.close()
            view.datastore.close()
        tokens = {
            "office": alerts.accounts.issue("office", Role.COUNTY, "test"),
            "wang": alerts.accounts.issue("wang", Role.STAFF, "test", township="文星街道"),
        }
        yield settings, bases["alerts"], tokens


def test_the_county_office_assesses_a_raised_line_in_the_browser(chromium, county, tmp_path):  # noqa: F811
    settings, base, tokens = county
    good, bad = tmp_path / "line-9000.toml", tmp_path / "bad.toml"
    good.write_text(raised(str(NEW)), encoding="utf-8")
    bad.write_text(IN_FORCE.replace('"6000"', '"six thousand"'), encoding="utf-8")
    page = chromium.new_context(locale="zh-CN", accept_downloads=True).new_page()
    sign_in(page, base, tokens["office"])
    page.locator("#nav-whatif").click()
    expect(page).to_have_url(base + "/inbox/whatif")
    form = page.locator("#whatif-form")

    # A bad file: refused with its line and field, in Chinese; nothing runs.
    form.get_by_label("拟议政策文件（TOML）").set_input_files(str(bad))
    form.get_by_label("评估日期").fill(ON.isoformat())
    form.get_by_role("button", name="开始测算").click()
    refusal = page.locator("#refusal")
    line = IN_FORCE.splitlines().index('poverty_line_yuan = "6000"') + 1
    expect(refusal).to_contain_text("政策文件有误，未运行测算。")
    expect(refusal).to_contain_text(f"第 {line} 行")
    expect(refusal).to_contain_text("字段 poverty_line_yuan")
    shot(page, "whatif-refused.png")

    # The raised line: the page refreshes itself until the table is there.
    form.get_by_label("拟议政策文件（TOML）").set_input_files(str(good))
    form.get_by_label("评估日期").fill(ON.isoformat())
    form.get_by_role("button", name="开始测算").click()
    expect(page.locator("#outcome")).to_be_visible(timeout=90_000)
    expected = between_the_lines(settings)
    assert len(expected) >= 3
    expect(page.locator("#outcome")).to_contain_text(f"共评估 40 户；{len(expected)} 户有变化")
    county_row = page.locator("#whatif-townships tr.total")
    expect(county_row).to_contain_text("全县")
    expect(county_row).to_contain_text(f"收入低于监测线 +{len(expected)}/−0")
    expect(county_row).to_contain_text("关注 → 高")
    shot(page, "whatif-result.png")

    with page.expect_download() as download:
        page.locator("#download").click()
    assert download.value.suggested_filename == f"whatif-{ON.isoformat()}.xlsx"
    book = load_workbook(BytesIO(Path(download.value.path()).read_bytes()), read_only=True)
    rows = list(book["变化农户"].iter_rows(values_only=True))
    assert rows[0][0] == "户编号"
    assert [r[0] for r in rows[1:]] == sorted(expected)  # one township: by household
    assert all(r[5] == "收入低于监测线" and r[6] == "收入处于监测区间" for r in rows[1:])

    # Township staff: not their page.
    staff = chromium.new_context(locale="zh-CN").new_page()
    sign_in(staff, base, tokens["wang"])
    answer = staff.goto(base + "/inbox/whatif")
    assert answer is not None and answer.status == 403
    expect(staff.locator("#nav-whatif")).to_have_count(0)
