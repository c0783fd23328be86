"""The alerting decision without any store: each outcome and its edges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from domain.alerting import Held, decide
from domain.risk import Factor, RiskStatus
from domain.rules import Deadlines, Rule, RuleBook
from domain.tasks import HelpTask, Silence, Watch

MONDAY = datetime(2026, 6, 1, 9, tzinfo=UTC)

RULES = RuleBook(
    rules=[
        Rule(
            id="watch-yellow-blue",
            cards=["yellow", "blue"],
            title="Help again",
            measures=["workshop"],
            deadlines=Deadlines(visit_working_days=2, measures_days=15),
            source="plan §3(1)",
        ),
        Rule(id="red-under-help", cards=["red"], action="join", title="Join", source="plan"),
        Rule(
            id="identify-unknown",
            cards=["unregistered"],
            when={"level_at_least": "critical"},
            task="identify",
            title="Verify",
            measures_by_factor=False,
            source="national mechanism",
        ),
    ],
    measures_by_factor={
        "income_below_line": ["employment_help", "workshop", "industry_help"],
        "medical_cost_high": ["medical_aid"],
    },
    cooldown_days=30,
    holidays=[date(2026, 6, 3)],
)

BELOW = Factor("income_below_line", "high", "below the line", {"income": "3000.00"})
MEDICAL = Factor("medical_cost_high", "high", "medical cost", {})
IN_BAND = Factor("income_in_band", "watch", "in the band", {})


def status(
    hid: str = "H",
    card: str | None = "yellow",
    level: str = "high",
    factors: tuple[Factor, ...] = (BELOW,),
    township: str | None = "Jinlong",
) -> RiskStatus:
    return RiskStatus(
        household_id=hid,
        registered=card is not None,
        township=township,
        village="Hekou",
        card=card,
        members=3,
        labour_capable=2,
        evaluated_on=MONDAY.date(),
        policy_from=date(2026, 1, 1),
        per_capita_income_yuan=Decimal("3000.00"),
        previous_per_capita_income_yuan=None,
        half_year_per_capita_income_yuan=None,
        income_stale=False,
        medical_self_paid_yuan=Decimal("0"),
        employed_members=1,
        housing_damage="A",
        open_loans=0,
        overdue_loans=0,
        factors=factors,
        level=level,
    )


def open_task(level: str = "high", factors: tuple[Factor, ...] = (BELOW,)) -> HelpTask:
    return HelpTask(
        household_id="H",
        number=1,
        kind="help",
        rule_id="watch-yellow-blue",
        title="Help again",
        source="plan",
        township="Jinlong",
        village="Hekou",
        card="yellow",
        level=level,
        factors={f.code: {"severity": f.severity, "reason": f.reason} for f in factors},
        measures=[],
        visit_due=MONDAY.date(),
        measures_due=MONDAY.date(),
        at=MONDAY - timedelta(days=3),
    )


def closed_watch(days_ago: float, level: str = "high", severities=None) -> Watch:
    at = MONDAY - timedelta(days=days_ago)
    watch = Watch("H", at=at - timedelta(days=1))
    task = open_task()
    watch.task_opened(task.id, at - timedelta(days=1))
    watch.task_closed(task.id, at, level, severities or {"income_below_line": "high"}, 1)
    return watch


def silence(sid="s1", **scope) -> Silence:
    scope.setdefault("expires_at", MONDAY + timedelta(days=7))
    return Silence(sid, "checking", "op-1", MONDAY - timedelta(days=1), **scope)


def nothing_held() -> Held:
    return Held()


def unread() -> Held:
    raise AssertionError("the store was read for a household no rule picks")


def test_no_rule_is_decided_without_reading_the_store():
    assert decide(status(card="green"), RULES, [], MONDAY, unread).outcome == "no_rule"
    assert decide(status(level="watch"), RULES, [], MONDAY, unread).outcome == "no_rule"


def test_the_store_is_read_once_when_a_rule_picks_the_household():
    reads = []
    decide(status(), RULES, [], MONDAY, lambda: reads.append(1) or Held())
    assert reads == [1]


def test_cleared_until_clear_silences_end_and_no_others():
    silences = [
        silence("s1", household_id="H", until_clear=True),
        silence("s2", township="Jinlong", until_clear=True),  # the whole township
        silence("s3", household_id="H"),  # not until clear
        silence("s4", township="Jinlong", factor="income_below_line", until_clear=True),
        silence("s5", household_id="H2", until_clear=True),
        silence("s6", household_id="H", until_clear=True, expires_at=MONDAY),  # expired
        silence("s7", township="Lintian", until_clear=True),
    ]
    d = decide(status(card="green"), RULES, silences, MONDAY, unread)
    assert d.outcome == "silence_ended" and d.end_silences == ("s1", "s2")
    assert d.evidence is None and d.opening is None


def test_an_open_task_gets_evidence_only_when_risk_worsens():
    task = open_task()
    held = lambda: Held(Watch("H", at=MONDAY), task)  # noqa: E731
    assert decide(status(), RULES, [], MONDAY, held).outcome == "unchanged"
    lower = status(level="watch", factors=(IN_BAND,), card="blue")  # no rule at watch
    assert decide(lower, RULES, [], MONDAY, held).outcome == "no_rule"
    worse = decide(status(level="critical"), RULES, [], MONDAY, held)
    assert worse.outcome == "evidence" and worse.evidence.level == "critical"
    new = decide(status(factors=(BELOW, MEDICAL)), RULES, [], MONDAY, held)
    assert new.outcome == "evidence" and set(new.evidence.factors) == {
        "income_below_line",
        "medical_cost_high",
    }


def test_a_red_card_joins_an_open_task_and_never_opens_one():
    red = status(card="red", level="critical")
    assert decide(red, RULES, [], MONDAY, nothing_held).outcome == "no_task_to_join"
    held = lambda: Held(Watch("H", at=MONDAY), open_task())  # noqa: E731
    assert decide(red, RULES, [], MONDAY, held).outcome == "evidence"


@pytest.mark.parametrize(
    "scope, factors, outcome",
    [
        ({"household_id": "H"}, (BELOW, MEDICAL), "silenced"),
        ({"household_id": "H2"}, (BELOW,), "opened"),
        ({"township": "Jinlong"}, (BELOW, MEDICAL), "silenced"),  # any factor
        ({"township": "Jinlong", "factor": "income_below_line"}, (BELOW,), "silenced"),
        ({"township": "Jinlong", "factor": "income_below_line"}, (BELOW, MEDICAL), "opened"),
        ({"township": "Lintian", "factor": "income_below_line"}, (BELOW,), "opened"),
        ({"household_id": "H", "expires_at": MONDAY}, (BELOW,), "opened"),  # expired
        ({"household_id": "H", "ended_at": MONDAY}, (BELOW,), "opened"),  # ended
    ],
)
def test_silences_hold_a_new_task_back(scope, factors, outcome):
    d = decide(status(factors=factors), RULES, [silence(**scope)], MONDAY, nothing_held)
    assert d.outcome == outcome


def test_silences_do_not_hide_evidence_for_an_open_task():
    held = lambda: Held(Watch("H", at=MONDAY), open_task())  # noqa: E731
    d = decide(status(level="critical"), RULES, [silence(household_id="H")], MONDAY, held)
    assert d.outcome == "evidence"


@pytest.mark.parametrize(
    "days_ago, st, outcome",
    [
        (10, status(), "cooldown"),  # same factor, same severity, inside 30 days
        (29.9, status(), "cooldown"),
        (30, status(), "opened"),  # the cooldown has passed, to the second
        (10, status(level="critical"), "opened"),  # a worse level
        (10, status(factors=(BELOW, MEDICAL)), "opened"),  # a new factor
        (10, status(factors=(Factor("income_below_line", "critical", "r", {}),)), "opened"),
    ],
)
def test_cooldown_after_a_closed_task_unless_worse_or_later(days_ago, st, outcome):
    watch = closed_watch(days_ago)
    assert decide(st, RULES, [], MONDAY, lambda: Held(watch)).outcome == outcome


def test_an_opened_task_has_its_rule_measures_and_deadlines():
    d = decide(status(factors=(BELOW, MEDICAL)), RULES, [], MONDAY, nothing_held)
    assert d.outcome == "opened" and d.evidence is None and d.end_silences == ()
    o = d.opening
    assert (o.rule_id, o.kind, o.title, o.source) == (
        "watch-yellow-blue",
        "help",
        "Help again",
        "plan §3(1)",
    )
    # The rule's own first, then by factor, each once.
    assert o.measures == ("workshop", "employment_help", "industry_help", "medical_aid")
    # Two working days from Monday, the Wednesday a holiday: Thursday.
    assert o.visit_due == date(2026, 6, 4) and o.measures_due == date(2026, 6, 16)


def test_households_the_registry_does_not_know():
    unknown = status(hid="X-1", card=None, level="critical", township=None)
    d = decide(unknown, RULES, [], MONDAY, nothing_held)
    assert d.outcome == "opened" and d.opening.kind == "identify" and d.opening.measures == ()
    assert decide(status(card=None, level="high"), RULES, [], MONDAY, unread).outcome == "no_rule"
    by_township = [silence(township="Jinlong")]  # an unknown household has no township
    assert decide(unknown, RULES, by_township, MONDAY, nothing_held).outcome == "opened"
    by_code = [silence(household_id="X-1")]
    assert decide(unknown, RULES, by_code, MONDAY, nothing_held).outcome == "silenced"
