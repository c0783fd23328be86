"""The households' declaration page over HTTP, on both stores: a card's link
opens the household's page, a declaration starts a lead for its township and
the page then says where it stands; forms from elsewhere, bad input, revoked
or forged links and bursts are refused, and every answer is counted."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from domain.access import Principal, Role
from domain.case_input import CaseForbidden
from domain.contacts import ContactRecord
from domain.task_input import TaskError
from services.alerts.bootstrap import open_cases
from services.alerts.inbox import declare, declare_public
from services.cases.app import Place
from services.cases.contacts import ContactBook, PostgresContactView, SQLiteContactView, new_key
from services.cases.declarations import Declarations
from services.infra import views
from services.infra.links import LinkSigner
from services.infra.ratelimit import Limiter, PublicLimits

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
PLACES = {
    "430624-0001": Place("430624-0001", "城西镇", "东风村", "yellow"),
    "430624-0002": Place("430624-0002", "城西镇", "东风村", "blue"),
}


def _world(settings):
    cases = open_cases(settings, lambda: NOW)
    decl = Declarations(
        cases,
        LinkSigner("a-secret-for-the-tests-only"),
        PLACES.get,
        "http://testserver",
        lambda: NOW,
    )
    decl.issue("城西镇", "东风村", "county-office")
    return cases, decl


@pytest.fixture
def world(store_settings):
    cases, decl = _world(store_settings)
    yield cases, decl
    cases.close()


@pytest.fixture
def one_store(base_settings, tmp_path):
    """The burst's limits are the process's, not the store's: one store is enough."""
    settings = base_settings.model_copy(update={"store": "sqlite", "sqlite_dir": tmp_path / "s"})
    cases, decl = _world(settings)
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
    # The hardship list names the mechanism's 因残 and 缺劳动力.
    assert '<option value="disability">因残' in page.text
    assert '<option value="labour_lacking">缺劳动力' in page.text
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


def test_whoever_holds_the_card_reads_the_category_of_a_decline_not_its_words(world):
    cases, decl = world
    path = path_of(decl, "430624-0001")
    case = decl.declare(path.removeprefix("/d/"), "illness", "老人住院，花费很大")
    village = Principal("cun", Role.VILLAGE, "城西镇", village="东风村")
    today = NOW.date()
    cases.act(
        case.id, "verify", village, visited_on=today, members=3, labour_capable=2,
        income_estimate_yuan=15000, hardship=[], consent=True,
    )  # fmt: skip
    cases.act(case.id, "authorise", village, signed=True, signed_on=today, kept_at="村委会")
    cases.act(case.id, "cross_check", Principal("county", Role.COUNTY), matches=True)
    cases.act(
        case.id, "village_review", village, held_on=today, attendees=11, agreed=False,
        note="评议认为收入稳定",
    )  # fmt: skip
    cases.act(case.id, "township_review", Principal("chen", Role.REVIEWER, "城西镇"), approve=True)
    words = "其子患白血病，新农合已报销大部分"  # what the county wrote, for staff
    cases.act(
        case.id, "decide", Principal("zhou", Role.APPROVER), approve=False, reason=words,
        reason_category="met_by_policy",
    )  # fmt: skip
    page = app_of(decl).get(path).text
    assert 'id="state-declined"' in page
    assert '<span id="reason">困难已通过现有帮扶政策解决</span>' in page
    assert words not in page and "白血病" not in page
    assert cases.case(case.id).reason == words  # kept for staff


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


def test_a_hostile_burst_is_limited_counted_and_the_service_stays_up(one_store):
    """10,000 requests from one address at one household's link: views,
    declarations, oversized and forged posts. The limits answer most, the
    few let through store no more than the link's daily declarations, every
    answer is counted, and another household's page still answers."""
    cases, decl = one_store
    client = app_of(decl)
    path = path_of(decl, "430624-0002")
    form = client.get(path).text.split('name="form" value="')[1].split('"')[0]
    good = {"form": form, "hardship": "other", "description": "家里困难，需要帮助"}
    before = {o: counted(o) for o in ("limited", "declared", "refused", "too_large", "shown")}
    started = time.monotonic()
    codes: dict[int, int] = {}
    for i in range(10_000):
        kind = i % 10
        if kind < 6:
            r = client.get(path)
        elif kind < 8:
            r = client.post(path, data=good, follow_redirects=False)
        elif kind == 8:
            r = client.post(path, content=b"description=" + b"x" * 20000,
                            headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
        else:
            r = client.post(path, data={**good, "form": "forged"})
        codes[r.status_code] = codes.get(r.status_code, 0) + 1
    seconds = time.monotonic() - started
    assert set(codes) <= {200, 303, 403, 413, 429} and codes[429] > 9_000, codes
    after = {o: counted(o) - before[o] for o in before}
    assert sum(after.values()) == 10_000  # every answer counted
    case = cases.case(cases.record("430624-0002").open_case)
    assert len(case.leads) == after["declared"] <= 5  # nothing stored beyond the limits
    other = TestClient(client.app, client=("10.0.0.9", 50000))  # another household's phone
    assert other.get(path_of(decl, "430624-0001")).status_code == 200
    print(f"10,000 requests in {seconds:.1f} s ({10_000 / seconds:.0f}/s): {codes}")


# The public page, for households the registry does not know

PLACES_LIST = {"城西镇": ["东风村", "新华村"], "东塘镇": ["荷花村"]}


@pytest.fixture
def public(world, store_settings):
    cases, decl = world
    view = views.open_view(
        store_settings.store_env("Contacts"), "Contacts", SQLiteContactView, PostgresContactView
    )
    book = ContactBook(cases, view, new_key(), lambda: NOW)
    app = FastAPI()
    sources = declare_public.PublicSources(
        decl, book, lambda: PLACES_LIST, Limiter(), "form-secret"
    )
    app.include_router(declare_public.router(sources))
    return cases, book, view, TestClient(app)


def public_form(client: TestClient, township: str) -> str:
    page = client.get("/declare", params={"township": township})
    assert page.status_code == 200 and "东风村" in page.text
    return page.text.split('name="form" value="')[1].split('"')[0]


def test_a_household_outside_the_registry_declares_and_its_contact_is_sealed(public):
    cases, book, view, client = public
    form = public_form(client, "城西镇")
    sent = client.post(
        "/declare",
        data={
            "form": form, "township": "城西镇", "village": "新华村", "hardship": "disaster",
            "description": "房子被洪水冲坏", "contact": "13812345678",
        },
        follow_redirects=False,
    )  # fmt: skip
    assert sent.status_code == 303
    receipt = client.get(sent.headers["location"])
    reference = receipt.text.split('id="reference">')[1].split("<")[0]
    assert reference.startswith("U-") and "城西镇" in receipt.text
    case = cases.case(cases.record(reference).open_case)
    assert case.channel == "household" and case.village == "新华村" and case.card is None
    assert "13812345678" not in str(case.leads) and "13812345678" not in str(case.history)
    assert view.get(reference).sealed and "13812345678" not in view.get(reference).sealed
    staff = Principal("wang", Role.STAFF, township="城西镇")
    assert book.show(reference, staff) == "13812345678"
    for other in (
        Principal("li", Role.STAFF, township="东塘镇"),
        Principal("county", Role.COUNTY),
        Principal("cun", Role.VILLAGE, township="城西镇", village="新华村"),
    ):
        with pytest.raises(CaseForbidden):
            book.show(reference, other)
    record = cases._get(ContactRecord.create_id(reference))
    assert [s["by"] for s in record.shown] == ["wang"]
    assert book.erase(reference)
    assert view.get(reference).sealed == ""
    with pytest.raises(TaskError, match="erased"):
        book.show(reference, staff)


def test_the_public_form_names_each_field_s_problem_and_keeps_nothing(public):
    cases, book, view, client = public
    form = public_form(client, "城西镇")
    good = {
        "form": form, "township": "城西镇", "village": "东风村", "hardship": "other",
        "description": "家里困难", "contact": "村口小卖部",
    }  # fmt: skip
    for change, shown in (
        ({"village": "荷花村"}, "请选择村"),
        ({"township": "别的镇"}, "请选择乡镇"),
        ({"description": "电话 13812345678"}, "请不要填写身份证号"),
        ({"contact": ""}, "请留下联系方式"),
        ({"form": "forged"}, "页面已过期"),
    ):
        r = client.post("/declare", data={**good, **change})
        assert r.status_code in (403, 422) and shown in r.text
    assert view.search().total == 0
    assert (
        client.get("/declare/received", params={"reference": "x", "township": "城西镇"}).status_code
        == 404
    )
