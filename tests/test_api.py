"""The monitor's HTTP API over a real store of each kind."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.infra.access import open_accounts
from services.monitor.api import create_app
from synthetic.sample import sample_events
from tests.helpers import clients
from tests.test_store import TODAY, feed, households, projection  # noqa: F401


@pytest.fixture
def accounts(store_settings):
    accounts = open_accounts(store_settings)
    yield accounts
    accounts.close()


@pytest.fixture
def app(households, projection, accounts):  # noqa: F811
    feed(households, sample_events(TODAY))
    projection.catch_up()
    return create_app(households, projection.view, accounts, policies=lambda: projection.policies)


@pytest.fixture
def who(app, accounts):
    return clients(
        app,
        accounts,
        county=("county", None),
        jinlong=("staff", "金龙镇"),
        other=("staff", "Yuanjiang"),
        ops=("operator", None),
        dept=("publisher", "civil-affairs"),
        prometheus=("metrics", None),
    )


@pytest.fixture
def client(who):
    return who["county"]


def test_status_with_factors(client):
    r = client.get("/households/430624-0004")
    assert r.status_code == 200
    body = r.json()
    assert body["card"] == "green" and body["level"] == "critical"
    (factor,) = body["factors"]
    assert factor["code"] == "disaster_loss" and factor["figures"]["housing_damage"] == "D"
    assert "house rated D" in factor["reason"]
    assert client.get("/households/nobody").status_code == 404


def test_timeline_in_plain_words_in_the_order_things_happened(client):
    r = client.get("/households/430624-0005/timeline")
    assert r.status_code == 200
    entries = r.json()
    assert [e["kind"] for e in entries] == [
        "LoanIssued",
        "Registered",
        "EmploymentChanged",
        "EmploymentChanged",
        "IncomeReported",
    ]
    assert entries[0]["text"].startswith("poverty loan L-77 of 20000.00 yuan issued")
    assert entries[2]["source"] == "human-resources"
    assert client.get("/households/nobody/timeline").status_code == 404


def test_paged_filtered_list(client):
    body = client.get("/households", params={"township": "金龙镇", "level": "high"}).json()
    assert {s["household_id"] for s in body["items"]} == {
        "430624-0001",
        "430624-0002",
        "430624-0005",
    }
    page = client.get("/households", params={"limit": 4, "offset": 4}).json()
    assert page["total"] == 6 and len(page["items"]) == 2
    assert client.get("/households", params={"card": "purple"}).status_code == 422
    assert client.get("/households", params={"offset": 2**63}).status_code == 422  # not a 500


def test_health_openapi_and_metrics(app, who):
    anyone = TestClient(app)
    assert anyone.get("/healthz").json() == {"status": "alive"}
    assert anyone.get("/readyz").json() == {
        "status": "ready"
    }  # probes need no token, get no figures
    paths = who["ops"].get("/openapi.json").json()["paths"]
    assert {
        "/households",
        "/households/{household_id}",
        "/households/{household_id}/timeline",
    } <= set(paths)
    assert who["ops"].get("/metrics").status_code == 200
    assert "povwatch_households" in who["ops"].get("/metrics").text
    assert anyone.get("/metrics").status_code == 401
    assert who["county"].get("/metrics").status_code == 403
    # Prometheus's account scrapes and reads no household, no description.
    assert "povwatch_households" in who["prometheus"].get("/metrics").text
    for path in ("/households", "/households/430624-0004", "/standard", "/openapi.json", "/docs"):
        assert who["prometheus"].get(path).status_code == 403, path
    # The description: operators and the county office, signed in.
    for path in ("/openapi.json", "/docs"):
        assert anyone.get(path).status_code == 401, path
        assert who["jinlong"].get(path).status_code == 403, path
        assert who["county"].get(path).status_code == 200, path
    assert "swagger-ui" in who["ops"].get("/docs").text
    assert anyone.get("/redoc").status_code == 404


def test_no_token_no_households(app):
    anyone = TestClient(app)
    for path in ("/households", "/households/430624-0004", "/households/430624-0004/timeline"):
        r = anyone.get(path)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    forged = TestClient(app, headers={"Authorization": "Bearer pw_forged"})
    assert forged.get("/households").status_code == 401


def test_staff_see_their_own_township_only(who):
    jinlong, other = who["jinlong"], who["other"]
    mine = jinlong.get("/households").json()
    assert mine["total"] > 0 and {s["township"] for s in mine["items"]} == {"金龙镇"}
    assert jinlong.get("/households/430624-0001").status_code == 200
    assert jinlong.get("/households/430624-0001/timeline").status_code == 200
    # Another township's staff: 403, and the same 403 for a household that does not exist.
    assert other.get("/households/430624-0001").status_code == 403
    assert other.get("/households/430624-0001/timeline").status_code == 403
    assert other.get("/households/nobody").status_code == 403
    assert other.get("/households", params={"township": "金龙镇"}).status_code == 403
    assert other.get("/households").json()["total"] == 0


def test_operators_and_publishers_see_no_households_or_health_details(who):
    for name in ("ops", "dept"):
        for path in ("/households", "/households/430624-0004", "/households/430624-0004/timeline"):
            assert who[name].get(path).status_code == 403, (name, path)


def test_a_revoked_token_stops_working_at_once(app, accounts, who):
    assert who["jinlong"].get("/households").status_code == 200
    accounts.revoke("jinlong", "test")
    assert who["jinlong"].get("/households").status_code == 401
    assert who["county"].get("/households").status_code == 200


def test_not_ready_without_the_broker(households, projection, accounts):  # noqa: F811
    client = TestClient(
        create_app(
            households,
            projection.view,
            accounts,
            broker_ok=lambda: False,
            policies=lambda: projection.policies,
        )
    )
    r = client.get("/readyz")
    assert r.status_code == 503 and "Kafka" in r.json()["detail"]
    assert client.get("/healthz").status_code == 200  # alive all the same
