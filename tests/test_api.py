"""The monitor's HTTP API over a real store of each kind."""

from __future__ import annotations


import pytest
from fastapi.testclient import TestClient

from services.monitor.api import create_app
from services.sample import sample_events
from tests.test_store import TODAY, feed, households, projection  # noqa: F401


@pytest.fixture
def client(households, projection):  # noqa: F811
    feed(households, sample_events(TODAY))
    projection.catch_up()
    return TestClient(create_app(households, projection.view))


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
        "LoanIssued", "Registered", "EmploymentChanged", "EmploymentChanged", "IncomeReported"]
    assert entries[0]["text"].startswith("poverty loan L-77 of 20000.00 yuan issued")
    assert entries[2]["source"] == "human-resources"
    assert client.get("/households/nobody/timeline").status_code == 404


def test_paged_filtered_list(client):
    body = client.get("/households", params={"township": "Jinlong", "level": "high"}).json()
    assert {s["household_id"] for s in body["items"]} == {
        "430624-0001", "430624-0002", "430624-0005"}
    page = client.get("/households", params={"limit": 4, "offset": 4}).json()
    assert page["total"] == 6 and len(page["items"]) == 2
    assert client.get("/households", params={"card": "purple"}).status_code == 422


def test_health_openapi_and_metrics(client):
    assert client.get("/healthz").json() == {"status": "alive"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["stored"] == ready["projected"] > 0
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/households", "/households/{household_id}", "/households/{household_id}/timeline"} <= set(paths)
    assert client.get("/metrics/").status_code == 200


def test_not_ready_without_the_broker(households, projection):  # noqa: F811
    client = TestClient(create_app(households, projection.view, broker_ok=lambda: False))
    r = client.get("/readyz")
    assert r.status_code == 503 and "Kafka" in r.json()["detail"]
    assert client.get("/healthz").status_code == 200  # alive all the same
