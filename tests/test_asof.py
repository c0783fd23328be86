"""As of a date through the broker, on both stores: a fact that arrived late
changes what is known now about a day, never what was known then; the API,
the list and the command line."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from typer.testing import CliRunner

from domain.household import Household
from services.cli import app as cli
from services.monitor.api import create_app
from services.monitor.bootstrap import open_monitor
from synthetic.sample import Builder
from tests.helpers import clients, publish, wait_for

B = Builder("late")
YEAR = (date(2025, 1, 1), date(2025, 12, 31))
DAY = "2026-05-31"


@pytest.fixture
def recording(monkeypatch):
    """A controlled clock for when the store records an event: the library
    stamps each event as it is made."""
    now = [datetime(2026, 1, 21, 2, tzinfo=UTC)]
    for cls in (Household.Opened, Household.FactEvent):
        monkeypatch.setattr(cls, "create_timestamp", staticmethod(lambda: now[0]))
    return now


@pytest.fixture
def late(settings, recording):
    """H-1 registered and its income reported in January; a major illness of
    10 May reported by the hospital only on 1 July."""
    with open_monitor(settings, today=lambda: date(2026, 7, 1)) as service:

        def stored(n: int):
            return lambda: len(service.households.history("H-1")) == n + 1

        publish(
            settings,
            B.register("H-1", date(2026, 1, 5), "green"),
            B.income("H-1", date(2026, 1, 20), "60000", *YEAR),
            B.register("H-2", date(2026, 1, 5), "yellow", township="Yuanjiang"),
        )
        wait_for(stored(2), what="the January facts")
        recording[0] = datetime(2026, 7, 1, 1, tzinfo=UTC)
        publish(settings, B.illness("H-1", date(2026, 5, 10), "60000", "10000"))
        wait_for(stored(3), what="the late illness")
        wait_for(lambda: service.view.get("H-2"), what="the projection")
        wait_for(
            lambda: (s := service.view.get("H-1")) is not None and s.medical_self_paid_yuan > 0,
            what="the late illness projected",
        )
        yield service


@pytest.fixture
def who(late):
    app = create_app(
        late.households, late.view, late.accounts, policies=lambda: late.projection.policies
    )
    return clients(
        app,
        late.accounts,
        county=("county", None),
        jinlong=("staff", "Jinlong"),
        other=("staff", "Yuanjiang"),
    )


def test_a_late_fact_changes_known_now_but_not_known_then(who):
    body = who["county"].get("/households/H-1", params={"as_of": DAY}).json()
    assert body["as_of"] == DAY and body["policy_from"] == "2023-01-01"
    assert body["known_then"]["level"] == "none" and body["known_then"]["factors"] == []
    assert body["known_now"]["level"] == "critical"
    assert {f["code"] for f in body["known_now"]["factors"]} == {
        "medical_cost_high",
        "reimbursement_low",
    }
    assert body["changed"] and body["late_facts"] == 1
    illness = body["timeline"][-1]
    assert illness["kind"] == "IllnessReported" and illness["late"]
    assert illness["recorded_at"].startswith("2026-07-01")
    # Once the report had arrived, then and now agree.
    after = who["county"].get("/households/H-1", params={"as_of": "2026-07-01"}).json()
    assert after["known_then"]["level"] == after["known_now"]["level"] == "critical"
    assert not after["changed"] and after["late_facts"] == 0
    # Today's status is unchanged by the question.
    assert who["county"].get("/households/H-1").json()["level"] == "critical"


def test_the_timeline_as_of_a_day_marks_late_facts(who):
    entries = who["jinlong"].get("/households/H-1/timeline", params={"as_of": DAY}).json()
    assert [(e["kind"], e["late"]) for e in entries] == [
        ("Registered", False),
        ("IncomeReported", False),
        ("IllnessReported", True),
    ]
    early = who["jinlong"].get("/households/H-1/timeline", params={"as_of": "2026-01-10"})
    assert [e["kind"] for e in early.json()] == ["Registered"]


def test_a_date_before_any_fact_knows_nothing(who):
    body = who["county"].get("/households/H-1", params={"as_of": "2025-12-01"}).json()
    assert body["known_then"] is None and body["known_now"] is None
    assert body["timeline"] == [] and body["late_facts"] == 0


def test_a_bad_date_is_a_422_naming_the_field(who):
    for bad in ("2026-13-01", "31/05/2026", "2999-01-01"):
        r = who["county"].get("/households/H-1", params={"as_of": bad})
        assert r.status_code == 422, bad
        assert r.json()["detail"][0]["loc"] == ["query", "as_of"], bad
    r = who["county"].get("/households/H-1/timeline", params={"as_of": "soon"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "as_of"]


def test_the_list_as_of_a_day_is_one_townships_page(who):
    body = who["county"].get("/households", params={"township": "Jinlong", "as_of": DAY}).json()
    assert body["as_of"] == DAY and body["total"] == 1
    (item,) = body["items"]
    assert item["household_id"] == "H-1" and item["late_facts"] == 1
    assert item["known_then"]["level"] == "none" and item["timeline"] == []
    # Township staff get their own township without naming it, never another's.
    mine = who["other"].get("/households", params={"as_of": DAY}).json()
    assert [i["household_id"] for i in mine["items"]] == ["H-2"]
    assert who["other"].get("/households/H-1", params={"as_of": DAY}).status_code == 403
    r = who["county"].get("/households", params={"as_of": DAY})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "township"]
    r = who["county"].get(
        "/households", params={"township": "Jinlong", "level": "high", "as_of": DAY}
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "level"]


def test_the_command_line_shows_then_and_now(late, monkeypatch):
    for key, value in late.settings.model_dump().items():
        if value is not None and not isinstance(value, dict):
            monkeypatch.setenv(f"POVWATCH_{key.upper()}", str(value))
    run = CliRunner().invoke(cli, ["status", "H-1", "--as-of", DAY])
    assert run.exit_code == 0, run.output
    then, _, now = run.output.partition("known now")
    assert "none" in then and "critical" not in then
    assert "critical" in now and "LATE" in now and "1 fact(s) arrived after the day" in now
    bad = CliRunner().invoke(cli, ["status", "H-1", "--as-of", "31.05.2026"])
    assert bad.exit_code == 2 and "--as-of" in bad.output
