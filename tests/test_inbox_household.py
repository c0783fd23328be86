"""The household page in the inbox, on both stores: reached from the task
and the case pages, today's risk, facts and timeline, and a day picked with
a GET form (no script): what was known then beside what is known now, the
late fact marked; Chinese first; staff see their own township only."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient

from domain.access import Role
from domain.household import Household
from tests.test_alerts import YEAR, clock, world  # noqa: F401


@pytest.fixture
def site(world, monkeypatch):  # noqa: F811
    service, w = world
    recorded = [datetime(2026, 5, 20, 2, tzinfo=UTC)]
    for cls in (Household.Opened, Household.FactEvent):  # when the store records each event
        monkeypatch.setattr(cls, "create_timestamp", staticmethod(lambda: recorded[0]))
    w.send(
        w.b.register("H-1", date(2025, 1, 1), "yellow", members=3, labour=2),
        w.b.income("H-1", date(2026, 5, 15), "30000.00", *YEAR),
    )
    # The hospital's report of a major illness on 10 May arrives on 1 June.
    recorded[0] = datetime(2026, 6, 1, 2, tzinfo=UTC)
    w.send(w.b.illness("H-1", date(2026, 5, 10), "80000", "10000"))
    service.start(relay=False)
    app = service.web_app()
    tokens = {
        "wang": service.accounts.issue("wang", Role.STAFF, "test", township="Jinlong"),
        "zhou": service.accounts.issue("zhou", Role.STAFF, "test", township="Yuanjiang"),
        "li": service.accounts.issue("li", Role.COUNTY, "test"),
    }

    def browser(name: str) -> TestClient:
        client = TestClient(app, follow_redirects=True)
        assert client.post("/inbox/signin", data={"token": tokens[name]}).status_code == 200
        return client

    return browser, service, w


def test_the_task_and_case_pages_lead_to_the_household_page(site):
    browser, service, w = site
    wang = browser("wang")
    task = w.open_task("H-1")
    page = wang.get(f"/inbox/tasks/{task.task_id}").text
    assert 'href="/inbox/households/H-1"' in page and "农户档案" in page
    service.catch_up()
    (case,) = service.case_list.search(limit=5).items
    assert 'href="/inbox/households/H-1"' in wang.get(f"/inbox/cases/{case.case_id}").text
    today = wang.get("/inbox/households/H-1")
    assert today.status_code == 200 and "今天" in today.text
    assert "住院" in today.text or "疾病" in today.text or "医疗" in today.text
    assert 'method="get"' in today.text and 'name="as_of"' in today.text


def test_a_day_picked_shows_known_then_beside_known_now_with_the_late_fact(site):
    browser, _, _ = site
    r = browser("wang").get("/inbox/households/H-1", params={"as_of": "2026-05-31"})
    assert r.status_code == 200
    text = r.text
    then, _, now = text.partition('id="known-now"')
    assert "当时所知" in text and "现在所知" in text
    assert 'id="known-then"' in then and "医疗" not in then.split('id="known-then"')[1]
    assert "医疗" in now  # the medical cost factor, known only now
    assert "迟报：2026-06-01 才收到" in text and 'id="late-count"' in text
    # Once the report had arrived, nothing about that day is late.
    later = browser("li").get("/inbox/households/H-1", params={"as_of": "2026-06-01"}).text
    assert "迟报" not in later


def test_a_bad_or_future_day_is_refused_naming_the_field(site):
    browser, _, _ = site
    wang = browser("wang")
    r = wang.get("/inbox/households/H-1", params={"as_of": "2026-02-30"})
    assert r.status_code == 422 and "查询日期" in r.text and "年-月-日" in r.text
    r = wang.get("/inbox/households/H-1", params={"as_of": "2026-06-02"})
    assert r.status_code == 422 and "不能晚于今天" in r.text


def test_staff_see_their_own_townships_households_only(site):
    browser, _, _ = site
    assert browser("zhou").get("/inbox/households/H-1").status_code == 403
    assert browser("zhou").get("/inbox/households/nobody").status_code == 403
    assert browser("li").get("/inbox/households/nobody").status_code == 404
