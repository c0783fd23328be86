"""Alert rules and help tasks on a real store of each kind, with a controlled
clock (the only fake here)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain import countyday
from domain.tasks import TaskError
from services.alerts.service import AlertsService
from services.households.app import Households
from services.households.statusview import open_view
from services.infra.policyfile import load_policies
from services.monitor.riskstatus import RiskStatusProjection
from synthetic.sample import Builder

MONDAY = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
YEAR = (date(2025, 6, 1), date(2026, 5, 31))


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock():
    return Clock(MONDAY)


@pytest.fixture
def world(store_settings, clock):
    households = Households(env=store_settings.store_env("Monitor"))
    service = AlertsService(store_settings, clock=clock)
    # The monitor's projection, whose view lists the households to re-assess.
    risk = RiskStatusProjection(
        households,
        open_view(store_settings),
        load_policies(store_settings),
        lambda: countyday.day(clock()),
    )
    offsets = iter(range(10_000))

    class World:
        b = Builder("al")

        def send(self, *messages):
            for m in messages:
                feed_at(households, m, next(offsets))
            risk.catch_up()
            service.catch_up()

        def reassess(self):
            service.run_job("reassess")
            service.catch_up()

        def tasks(self, **filters):
            return service.tasks.search(limit=100, **filters).items

        def open_task(self, hid):
            (t,) = [t for t in self.tasks(phase="open") if t.household_id == hid]
            return t

    yield service, World()
    service.stop()
    risk.view.datastore.close()
    households.close()


def feed_at(households, message, offset):
    import json

    from domain.household import FactRef
    from schemas.events import parse_event
    from services.households.app import kafka_position

    ev = parse_event(json.dumps(message))
    households.receive(
        ev.type,
        ev.household_id,
        FactRef(ev.source, ev.event_id, ev.occurred_at, ev.digest()),
        ev.data.model_dump(),
        kafka_position("t", 0, offset),
    )


def registered(w, hid, card, income, members=1, labour=1, **kw):
    on = MONDAY.date() - timedelta(days=1)
    messages = [
        w.b.register(hid, on - timedelta(days=200), card, members=members, labour=labour, **kw)
    ]
    if income is not None:
        messages.append(w.b.income(hid, on, income, *YEAR))
    return messages


@pytest.mark.parametrize(
    ("card", "income", "extra", "expect"),
    [
        ("yellow", "7000.00", [], "help"),  # below the line: high
        ("yellow", "8000.00", [], None),  # inside the band: only watch
        ("blue", "7000.00", [], "help"),
        # Below the line: every household out of poverty is in scope (since 2021).
        ("green", "7000.00", [], "help"),
        ("green", "8000.00", [], None),  # inside the band: only watch
        ("green", "7000.00", ["flood-D"], "help"),  # critical: sudden severe hardship
        ("red", "7000.00", ["flood-D"], None),  # under help already: no new task
    ],
)
def test_default_rules_by_card(world, card, income, extra, expect):
    service, w = world
    messages = registered(w, "H", card, income)
    if "flood-D" in extra:
        messages.append(w.b.disaster("H", MONDAY.date(), "1000.00", damage="D"))
    w.send(*messages)
    kinds = [t.kind for t in w.tasks()]
    assert kinds == ([expect] if expect else [])


def test_unknown_household_in_critical_hardship_gets_an_identify_task(world):
    service, w = world
    w.send(w.b.illness("U", MONDAY.date(), "30000.00", "2000.00"))  # high only: 28,000 >= 20,000
    assert w.tasks() == []
    w.send(w.b.disaster("U", MONDAY.date(), "5000.00", damage="D"))
    (task,) = w.tasks()
    assert task.kind == "identify" and task.card is None and task.level == "critical"
    assert task.source.startswith("national mechanism")


def test_one_household_one_plan_evidence_raises_priority(world):
    service, w = world
    w.send(*registered(w, "H", "yellow", "7000.00"))
    first = w.open_task("H")
    assert first.level == "high" and [f.code for f in first.factors] == ["income_below_line"]
    w.send(w.b.illness("H", MONDAY.date(), "9000.00", "1000.00"))
    (task,) = w.tasks()
    assert task.task_id == first.task_id and task.level == "critical"
    # A stay reimbursed a ninth is under the plan's 85% too (plan §3(2)2).
    assert {f.code for f in task.factors} == {
        "income_below_line",
        "medical_cost_high",
        "reimbursement_low",
    }
    assert task.history[-1].what == "evidence added"
    # The same facts again change nothing.
    w.reassess()
    assert service.alerts.task(__import__("uuid").UUID(task.task_id)).version == 2


def test_red_household_adds_to_its_open_task(world):
    service, w = world
    w.send(*registered(w, "H", "yellow", "7000.00"))
    w.send(
        w.b.event(
            "household.card_changed", "H", MONDAY.date(), {"card": "red", "reason": "fell back"}
        ),
        w.b.disaster("H", MONDAY.date(), "100.00", damage="C"),
    )
    (task,) = w.tasks()
    assert "disaster_loss" in {f.code for f in task.factors}


def resolve(service, w, hid, outcome="helped"):
    from uuid import UUID

    t = w.open_task(hid)
    service.alerts.act(
        UUID(t.task_id),
        "record_measure",
        by="staff-1",
        kind="employment_help",
        department="human-resources",
    )
    service.alerts.act(UUID(t.task_id), "resolve", by="staff-1", outcome=outcome)
    service.catch_up()


def test_cooldown_after_resolution_unless_worse_or_later(world, clock):
    service, w = world
    w.send(*registered(w, "H", "yellow", "7000.00"))
    resolve(service, w, "H")
    clock.advance(days=1)
    w.reassess()
    assert len(w.tasks(phase="open")) == 0  # same factor, inside 30 days
    w.send(w.b.illness("H", clock.now.date(), "9000.00", "1000.00"))  # worse: a new factor
    assert len(w.tasks(phase="open")) == 1
    resolve(service, w, "H")
    clock.advance(days=31)
    w.send(w.b.income("H", clock.now.date(), "0.00", *YEAR))
    assert len(w.tasks(phase="open")) == 1  # the cooldown has passed
    assert len(w.tasks()) == 3


def test_silences_by_household_and_by_township_factor(world, clock):
    service, w = world
    service.alerts.silence(
        reason="family moved away, being verified",
        created_by="op-1",
        expires_at=clock.now + timedelta(days=7),
        household_id="H1",
    )
    service.alerts.silence(
        reason="township-wide income audit",
        created_by="op-1",
        expires_at=clock.now + timedelta(days=7),
        township="Lintian",
        factor="income_below_line",
    )
    w.send(
        *registered(w, "H1", "yellow", "7000.00"),
        *registered(w, "H2", "yellow", "7000.00", township="Lintian"),
        *registered(w, "H3", "yellow", "7000.00", township="Jinlong"),
    )
    assert {t.household_id for t in w.tasks()} == {"H3"}
    listed = service.alerts.silences()
    assert [s.created_by for s in listed] == ["op-1", "op-1"] and all(s.reason for s in listed)
    clock.advance(days=8)  # expired
    w.reassess()
    assert {t.household_id for t in w.tasks()} == {"H1", "H2", "H3"}
    with pytest.raises(TaskError):
        service.alerts.silence(
            reason="", created_by="op", expires_at=clock.now + timedelta(days=1), household_id="H9"
        )


def test_a_silence_can_end_when_the_condition_clears(world, clock):
    service, w = world
    sid = service.alerts.silence(
        reason="checking",
        created_by="op-1",
        until_clear=True,
        expires_at=clock.now + timedelta(days=60),
        household_id="H",
    )
    w.send(*registered(w, "H", "yellow", "7000.00"))
    assert w.tasks() == []
    w.send(w.b.income("H", clock.now.date(), "5000.00", *YEAR))  # 12,000: clear
    (silence,) = service.alerts.silences()
    assert (
        silence.id == sid
        and silence.ended_by == "system"
        and silence.end_reason == "condition cleared"
    )


def test_deadlines_skip_weekends_and_holidays_and_escalate(store_settings, tmp_path, clock):
    rules = tmp_path / "rules.yaml"
    from services.infra.rulefile import DEFAULT_RULES

    rules.write_text(DEFAULT_RULES.read_text().replace("holidays: []", "holidays: [2026-06-08]"))
    clock.now = datetime(2026, 6, 5, 9, tzinfo=UTC)  # a Friday
    settings = store_settings.model_copy(update={"rules_file": rules})
    households = Households(env=settings.store_env("Monitor"))
    service = AlertsService(settings, clock=clock)
    try:
        b = Builder("dl")
        for i, m in enumerate(
            [
                b.register("H", date(2026, 1, 1), "blue", members=1, labour=1),
                b.income("H", date(2026, 6, 4), "100.00", *YEAR),
            ]
        ):
            feed_at(households, m, i)
        service.catch_up()
        (task,) = service.tasks.search().items
        (case,) = service.case_list.search().items
        # Friday + 2 working days, Monday 8 June a local holiday: Wednesday 10 June,
        # for the task and for its case's home verification alike.
        assert task.visit_due == date(2026, 6, 10) and task.measures_due == date(2026, 6, 20)
        assert case.stage == "verify" and case.stage_due == date(2026, 6, 10)
        clock.now = datetime(2026, 6, 10, 15, 59, tzinfo=UTC)  # 23:59 in China
        assert service.run_job("case_escalate") == 0  # due today: not late yet
        clock.now = datetime(2026, 6, 11, 8, tzinfo=UTC)
        # The task is its case's lead: the case's stage escalates, not the task.
        assert service.run_job("escalate") == 0
        assert service.run_job("case_escalate") == 1
        service.catch_up()
        assert service.case_list.search().items[0].shown == "orange"
        assert service.tasks.search().items[0].shown == "normal"
        assert service.run_job("case_escalate") == 0  # once a day
        clock.now = datetime(2026, 6, 16, 8, tzinfo=UTC)
        assert service.run_job("case_escalate") == 1  # 6 days late: supervised from above
        service.catch_up()
        (late,) = service.case_list.search(before=clock.now.date().isoformat(), phase="open").items
        assert late.shown == "red" and late.escalation == 2
    finally:
        service.stop()
        households.close()
    # A restart the same day does not run the job again.
    again = AlertsService(settings, clock=clock)
    try:
        assert again.cases.job_done("case_escalate", clock.now.date().toordinal())
        assert again.run_job("case_escalate") == 0
    finally:
        again.stop()


def test_loans_fall_overdue_and_income_goes_stale_as_dates_move(world, clock):
    service, w = world
    w.send(
        *registered(w, "H", "yellow", "9000.00", members=1),
        w.b.loan("H", MONDAY.date(), "L1", "5000.00", MONDAY.date() + timedelta(days=10)),
    )
    assert w.tasks() == []
    clock.advance(days=100)  # 90 days past due, the bank silent
    w.reassess()
    task = w.open_task("H")
    assert "loan_overdue" in {f.code for f in task.factors}
    clock.advance(days=400)  # no income report for more than 12 months
    w.reassess()
    assert service.alerts.assess(service.households.household("H"), clock.now.date()).income_stale


@pytest.mark.parametrize(
    ("factor", "messages"),
    [
        ("income_below_line", lambda b: [b.income("H", MONDAY.date(), "1000.00", *YEAR)]),
        ("medical_cost_high", lambda b: [b.illness("H", MONDAY.date(), "9000.00", "1000.00")]),
        ("disaster_loss", lambda b: [b.disaster("H", MONDAY.date(), "100.00", damage="C")]),
        ("all_unemployed", lambda b: [b.employment("H", MONDAY.date(), "p1", "unemployed")]),
        (
            "loan_overdue",
            lambda b: [b.loan("H", date(2025, 1, 1), "L", "100.00", date(2025, 12, 1))],
        ),
    ],
)
def test_each_high_factor_opens_a_task_for_a_yellow_household(world, factor, messages):
    service, w = world
    w.send(*registered(w, "H", "yellow", None if factor == "income_below_line" else "12000.00"))
    assert w.tasks() == []
    w.send(*messages(w.b))
    (task,) = w.tasks()
    assert factor in {f.code for f in task.factors}


def test_relocated_household_without_work_opens_a_task(world):
    service, w = world
    w.send(*registered(w, "H", "blue", "12000.00", flags=["relocated"]))
    (task,) = w.tasks()
    assert [f.code for f in task.factors] == ["relocated_no_employment"]


def test_a_bad_rules_file_is_refused_with_line_and_reason():
    from services.infra.rulefile import DEFAULT_RULES, RulesError, parse_rules

    text = DEFAULT_RULES.read_text()
    with pytest.raises(RulesError, match=r"rules\.yaml:13: rules\.1\.cards\.0: Input should be"):
        parse_rules(text.replace("cards: [green]", "cards: [purple]"), "rules.yaml")
    with pytest.raises(RulesError, match=r"rules\.yaml:\d+: rules\.0\.measures\.0"):
        parse_rules(
            text.replace("    task: help\n", "    task: help\n    measures: [cash]\n", 1),
            "rules.yaml",
        )
    with pytest.raises(RulesError, match="not valid YAML"):
        parse_rules("rules: [\n", "rules.yaml")
    with pytest.raises(RulesError, match="rule ids must be unique"):
        parse_rules(
            text.replace("id: green-sudden-hardship", "id: watch-yellow-blue"), "rules.yaml"
        )


def test_the_scheduler_runs_the_jobs(store_settings, clock, kafka_up):
    service = AlertsService(store_settings, clock=clock).start(relay=False, schedule=True)
    try:
        jobs = {j.id: j for j in service.scheduler.get_jobs()}
        assert set(jobs) == {
            "escalate", "reassess", "clearance", "case_escalate", "monthly_report", "config",
            "push_flush", "push_deliver", "push_scan",
        }  # fmt: skip
        from tests.helpers import wait_for

        wait_for(service.leading.is_set, what="this process to lead the alerts")
        jobs["escalate"].modify(next_run_time=datetime.now(UTC))
        wait_for(
            lambda: service.alerts.job_done("escalate", clock.now.date().toordinal()),
            what="the escalation job to run on its schedule",
            timeout=10,
        )
    finally:
        service.stop()
