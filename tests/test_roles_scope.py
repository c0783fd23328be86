"""What the accounts that run and watch the services reach, on both stores:
Prometheus's metrics account scrapes /metrics and is refused everything
else (silences, tasks, cases, feeds, pushes, households, the inbox, the API's
description); the API's description (/docs, /openapi.json) needs an
operator's or the county office's sign-in on both apps. (Operators refused
the what-if: tests/test_inbox_whatif.py and tests/test_whatif.py; every
operation for every role: tests/test_openapi.py.)"""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from domain.access import Role
from services.infra.access import COOKIE
from services.monitor.api import create_app as monitor_app
from tests.helpers import bearer
from tests.test_alerts import YEAR, clock, world  # noqa: F401

SILENCE = {"reason": "a test", "by": "ops", "household_id": "H-1", "days": 7}


@pytest.fixture
def apps(world):  # noqa: F811
    service, w = world
    w.send(
        w.b.register("H-1", date(2025, 1, 1), "yellow", members=3, labour=2),
        w.b.income("H-1", date(2026, 5, 31), "9000.00", *YEAR),
    )
    issue = service.accounts.issue
    tokens = {
        "prometheus": issue("prometheus", Role.METRICS, "test"),
        "ops": issue("ops", Role.OPERATOR, "test"),
        "county": issue("county", Role.COUNTY, "test"),
        "staff": issue("staff", Role.STAFF, "test", township="Jinlong"),
    }
    monitor = monitor_app(
        service.households, service.risk, service.accounts, policies=lambda: service.alerts.policies
    )
    return {"alerts": service.web_app(), "monitor": monitor}, tokens, w


def test_the_metrics_account_scrapes_and_reaches_nothing_else(apps):
    app, tokens, w = apps
    task = w.open_task("H-1")
    scraper = {name: TestClient(a, headers=bearer(tokens["prometheus"])) for name, a in app.items()}
    for name, client in scraper.items():
        r = client.get("/metrics")
        assert r.status_code == 200 and "povwatch_" in r.text, name
    alerts, monitor = scraper["alerts"], scraper["monitor"]
    refused = [
        alerts.get("/silences"),
        alerts.post("/silences", json=SILENCE),
        alerts.get("/tasks"),
        alerts.get(f"/tasks/{task.task_id}"),
        alerts.post(f"/tasks/{task.task_id}/acknowledge"),
        alerts.get("/cases"),
        alerts.get("/monitoring"),
        alerts.get("/feeds"),
        alerts.get("/pushes"),
        monitor.get("/households"),
        monitor.get("/households/H-1"),
        monitor.get("/households/H-1/timeline"),
        monitor.get("/standard"),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert all("H-1" not in r.text for r in refused)
    # Nothing was silenced or acknowledged on its behalf.
    ops = TestClient(app["alerts"], headers=bearer(tokens["ops"]))
    assert ops.get("/silences").json() == []
    assert w.open_task("H-1").status == "open"
    # No inbox either: the sign-in refuses the role and sets no cookie.
    browser = TestClient(app["alerts"])
    r = browser.post("/inbox/signin", data={"token": tokens["prometheus"]})
    assert r.status_code == 403 and COOKIE not in browser.cookies
    # The cookie forged by hand with the token: a cookie holds a session, never
    # a token, so it signs in no one.
    browser.cookies.set(COOKIE, tokens["prometheus"])
    for path in ("/inbox/whatif", "/inbox/cases", "/inbox/tasks"):
        r = browser.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/inbox/signin", path


@pytest.mark.parametrize("service", ["alerts", "monitor"])
def test_the_api_description_needs_an_operator_or_the_county(apps, service):
    app, tokens, _ = apps
    anyone = TestClient(app[service])
    for path in ("/openapi.json", "/docs"):
        r = anyone.get(path)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer", path
        assert "paths" not in r.text and "swagger" not in r.text.lower()
        forged = anyone.get(path, headers=bearer("pw_forged"))
        assert forged.status_code == 401, path
        for name in ("staff", "prometheus"):
            assert anyone.get(path, headers=bearer(tokens[name])).status_code == 403, (name, path)
    assert anyone.get("/redoc").status_code == 404  # FastAPI's other page is not served
    for name in ("ops", "county"):
        spec = anyone.get("/openapi.json", headers=bearer(tokens[name]))
        assert spec.status_code == 200 and "/metrics" in spec.json()["paths"], name
        page = anyone.get("/docs", headers=bearer(tokens[name]))
        assert page.status_code == 200 and "/openapi.json" in page.text, name
