"""The households' declaration page over HTTP, on both stores: a card's link
opens the household's page, a declaration starts a lead for its township and
the page then says where it stands; forms from elsewhere, bad input, revoked
or forged links and bursts are refused, and every answer is counted."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from services.alerts.bootstrap import open_cases
from services.alerts.inbox import declare
from services.cases.app import Place
from services.cases.declarations import Declarations
from services.infra.links import LinkSigner
from services.infra.ratelimit import Limiter, PublicLimits

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
PLACES = {
    "430624-0001": Place("430624-0001", "城西镇", "东风村", "yellow"),
    "430624-0002": Place("430624-0002", "城西镇", "东风村", "blue"),
}


@pytest.fixture
def world(store_settings):
    cases = open_cases(store_settings, lambda: NOW)
    decl = Declarations(
        cases,
        LinkSigner("a-secret-for-the-tests-only"),
        PLACES.get,
        "http://testserver",
        lambda: NOW,
    )
    decl.issue("城西镇", "东风村", "county-office")
    yield cases, decl
    cases.close()


def app_of(decl: Declarations, limits: PublicLimits | None = None) -> TestClient:
    app = FastAPI()
    app.include_router(declare.router(declare.DeclareSources(decl, Limiter(limits), "form-secret")))
    here = Path(declare.__file__).parent
    app.mount("/inbox/static", StaticFiles(directory=here / "static"))
    return TestClient(app)


def path_of(decl: Declarations, household: str) -> str:
    [face] = decl.faces([household], "城西镇", "东风村")
    return face.link.removeprefix("http://testserver")


def counted(outcome: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "povwatch_public_requests_total", {"page": "declare", "outcome": outcome}
        )
        or 0.0
    )


def test_a_household_declares_and_its_page_says_received(world):
    cases, decl = world
    client, path = app_of(decl), path_of(decl, "430624-0001")
    page = client.get(path)
    assert page.status_code == 200 and "430624-0001" in page.text and "尚未收到" in page.text
    form = page.text.split('name="form" value="')[1].split('"')[0]
    sent = client.post(
        path, data={"form": form, "hardship": "illness", "description": "老人住院，花费很大"},
        follow_redirects=False,
    )  # fmt: skip
    assert sent.status_code == 303
    after = client.get(sent.headers["location"])
    assert "已收到申报" in after.text and "申报已提交" in after.text
    record = cases.record("430624-0001")
    case = cases.case(record.open_case)
    assert case.channel == "household" and case.township == "城西镇"
    assert case.leads[0]["hardship"] == "illness"


def test_bad_input_names_its_field_and_stores_nothing(world):
    cases, decl = world
    client, path = app_of(decl), path_of(decl, "430624-0001")
    form = client.get(path).text.split('name="form" value="')[1].split('"')[0]
    for data, shown in (
        ({"hardship": "", "description": "家里困难"}, "请选择困难类型"),
        ({"hardship": "other", "description": ""}, "请简要说明困难"),
        ({"hardship": "other", "description": "请打 13812345678"}, "请不要填写身份证号"),
    ):
        r = client.post(path, data={"form": form, **data})
        assert r.status_code == 422 and shown in r.text
    assert cases.record("430624-0001") is None


def test_a_form_from_another_site_is_refused(world):
    cases, decl = world
    client, path = app_of(decl), path_of(decl, "430624-0001")
    other = TestClient(client.app)  # no cookie of this page
    form = client.get(path).text.split('name="form" value="')[1].split('"')[0]
    r = other.post(path, data={"form": form, "hardship": "other", "description": "家里困难"})
    assert r.status_code == 403 and "页面已过期" in r.text
    r = client.post(path, data={"form": "forged", "hardship": "other", "description": "家里困难"})
    assert r.status_code == 403
    assert cases.record("430624-0001") is None


def test_revoked_forged_and_unknown_links_look_alike(world):
    _, decl = world
    client = app_of(decl)
    old = path_of(decl, "430624-0001")
    decl.issue("城西镇", "东风村", "county-office")  # the village's cards printed again
    answers = [client.get(p) for p in (old, old[:-3] + "abc", "/d/430624-0001", "/d/" + "x" * 500)]
    assert {a.status_code for a in answers} == {404}
    assert len({a.text for a in answers}) == 1
    assert client.get(path_of(decl, "430624-0001")).status_code == 200


def test_a_burst_is_limited_counted_and_the_page_stays_up(world):
    cases, decl = world
    client = app_of(decl, PublicLimits(address_views="50/minute", address_posts="10/hour"))
    path = path_of(decl, "430624-0002")
    before = counted("limited")
    codes = [client.get(path).status_code for _ in range(300)]
    assert codes.count(200) == 30 and codes.count(429) == 270  # the link's own limit
    assert counted("limited") - before == 270
    big = client.post(path, content=b"description=" + b"x" * 20000,
                      headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert big.status_code in (413, 429)
    assert cases.record("430624-0002") is None
