"""Leads staff found on their rounds, through the API on both stores: a
registered household or one the registry does not know; each role only in
its own area; bad input named by its field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi import FastAPI

from domain.access import Role
from services.alerts.bootstrap import open_cases
from services.cases.app import Place
from services.cases.contacts import (
    ContactBook,
    PostgresContactView,
    SQLiteContactView,
    new_key,
)
from services.cases.leadapi import lead_routes
from services.cases.staffleads import StaffLeads
from services.infra import views
from services.infra.access import open_accounts, signed_in
from tests.helpers import clients

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
REGISTRY = {"430624-0001": Place("430624-0001", "城西镇", "东风村", "yellow")}
PLACES = {"城西镇": ["东风村", "新华村"], "东塘镇": ["荷花村"]}


@pytest.fixture
def api(store_settings):
    cases = open_cases(store_settings, lambda: NOW)
    accounts = open_accounts(store_settings)
    contact_view = views.open_view(
        store_settings.store_env("Contacts"), "Contacts", SQLiteContactView, PostgresContactView
    )
    book = ContactBook(cases, contact_view, new_key(), lambda: NOW)
    book.leave("U-00000000AA", "城西镇", "村口小卖部转告")
    app = FastAPI()
    leads = StaffLeads(cases, REGISTRY.get, lambda: PLACES, lambda: NOW)
    lead_routes(app, leads, book, signed_in(accounts))
    who = clients(
        app, accounts, cun=("village", "城西镇/东风村"), wang=("staff", "城西镇"),
        li=("staff", "东塘镇"), county=("county", None), op=("operator", None),
    )  # fmt: skip
    yield cases, who
    cases.close()


def test_staff_record_a_registered_household_s_lead_and_it_opens_a_case(api):
    cases, who = api
    r = who["cun"].post(
        "/leads",
        json={"household_id": "430624-0001", "factors": ["medical_cost_high"], "note": "户主住院"},
    )
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["channel"] == "staff" and case["township"] == "城西镇" and case["stage"] == "verify"
    again = who["wang"].post(
        "/leads", json={"household_id": "430624-0001", "factors": ["income_drop"], "note": ""}
    )
    assert again.json()["case_id"] == case["case_id"]  # joins the open case
    assert len(cases.case(cases.record("430624-0001").open_case).leads) == 2


def test_a_household_outside_the_registry_needs_its_village_and_a_description(api):
    cases, who = api
    r = who["wang"].post(
        "/leads",
        json={"village": "新华村", "factors": ["disaster_loss"], "note": "房屋受损，未建档"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["household_id"].startswith("U-") and r.json()["card"] is None
    for body, field in (
        ({"village": "荷花村", "factors": ["disaster_loss"], "note": "房屋受损"}, "village"),
        ({"village": "新华村", "factors": ["disaster_loss"], "note": ""}, "note"),
        ({"village": "新华村", "factors": [], "note": "房屋受损"}, "factors"),
        ({"village": "新华村", "factors": ["luck"], "note": "房屋受损"}, "factors"),
        ({"village": "新华村", "factors": ["income_drop"], "note": "电话13812345678"}, "note"),
    ):
        r = who["wang"].post("/leads", json=body)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == field, r.text


def test_a_code_outside_the_area_and_an_unknown_code_get_the_same_answer(api):
    """Another township's staff cannot tell its households from made-up codes:
    both are 403 with the same body; only the county hears that a code is unknown."""
    _, who = api
    answers = [
        who["li"].post("/leads", json={"household_id": code, "factors": ["income_drop"]})
        for code in ("430624-0001", "430624-9999")
    ]
    assert [r.status_code for r in answers] == [403, 403]
    assert answers[0].json() == answers[1].json()
    r = who["cun"].post("/leads", json={"household_id": "430624-9999", "factors": ["income_drop"]})
    assert r.status_code == 403
    unknown = who["county"].post(
        "/leads", json={"household_id": "430624-9999", "factors": ["income_drop"]}
    )
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"][-1] == "household_id"


def test_each_role_records_leads_in_its_own_area_only(api):
    _, who = api
    body = {"household_id": "430624-0001", "factors": ["income_drop"], "note": ""}
    assert who["li"].post("/leads", json=body).status_code == 403  # another township
    assert who["op"].post("/leads", json=body).status_code == 403  # operators do not
    assert who["county"].post("/leads", json=body).status_code == 201
    other_village = {
        "township": "城西镇",
        "village": "新华村",
        "factors": ["income_drop"],
        "note": "新发现困难户",
    }
    assert who["cun"].post("/leads", json=other_village).status_code == 403


def test_the_inbox_form_records_a_lead_and_words_its_problems_in_chinese(store_settings):
    from fastapi.testclient import TestClient

    from services.alerts.inbox import leadpages
    from services.infra.access import COOKIE

    cases = open_cases(store_settings, lambda: NOW)
    accounts = open_accounts(store_settings)
    leads = StaffLeads(cases, REGISTRY.get, lambda: PLACES, lambda: NOW)
    app = FastAPI()
    app.include_router(leadpages.router(leadpages.LeadSources(leads, accounts, lambda: PLACES)))
    token = accounts.issue("cun", Role.VILLAGE, "test", township="城西镇", village="东风村")
    client = TestClient(app, cookies={COOKIE: token})
    form = client.get("/inbox/leads/new")
    assert form.status_code == 200 and "登记排查线索" in form.text and "东塘镇" not in form.text
    bad = client.post(
        "/inbox/leads", data={"household_id": "430624-9999", "factors": "income_drop"}
    )
    assert bad.status_code == 403 and "您的辖区内没有这个户编号的建档农户" in bad.text
    ok = client.post(
        "/inbox/leads",
        data={
            "household_id": "430624-0001",
            "factors": ["income_drop", "medical_cost_high"],
            "note": "看病花费大",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"].startswith("/inbox/cases/")
    case = cases.case(cases.record("430624-0001").open_case)
    assert case.channel == "staff" and case.leads[0]["factors"] == [
        "income_drop",
        "medical_cost_high",
    ]
    cases.close()


def test_only_the_township_s_staff_see_a_contact_through_the_api(api):
    cases, who = api
    r = who["wang"].post("/contacts/U-00000000AA")
    assert r.status_code == 200 and r.json()["contact"] == "村口小卖部转告"
    for other in ("li", "county", "cun", "op"):
        assert who[other].post("/contacts/U-00000000AA").status_code == 403, other


def test_a_contact_outside_the_township_and_no_household_get_the_same_answer(api):
    """Another township's staff cannot tell a household that left a contact
    from a made-up reference; the township's own staff hear that none was left."""
    _, who = api
    seen = who["wang"].post(
        "/leads",
        json={"village": "新华村", "factors": ["disaster_loss"], "note": "房屋受损，未建档"},
    )
    none_left = seen.json()["household_id"]  # recorded by staff: no contact
    answers = [who["li"].post(f"/contacts/{ref}") for ref in ("U-00000000AA", "U-0000000XYZ")]
    answers.append(who["li"].post(f"/contacts/{none_left}"))
    assert [r.status_code for r in answers] == [403, 403, 403]
    assert answers[0].json() == answers[1].json() == answers[2].json()
    assert who["wang"].post("/contacts/U-0000000XYZ").status_code == 403  # no such household
    assert who["wang"].post(f"/contacts/{none_left}").status_code == 409  # its own: none left
