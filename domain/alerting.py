"""The alerting decision: what a household's current risk means for its help
tasks, as a pure function of what is known (risk status, the household's
watch and open task, the silences, the rules and the time).

The application reads, calls ``decide`` and records what it says; the rules
live here once:

- a household no rule picks opens nothing, and ends the "until clear"
  silences that covered it;
- a household with an open task gets new evidence when its risk worsens
  (a higher level or a new factor), else nothing (one household, one plan);
- a "join" rule never opens a task;
- an active silence covering the household holds the task back;
- after a task closes, the same factors do not open another inside the
  cooldown unless they worsen (no alert storms);
- otherwise a task opens with the rule's measures and deadlines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from domain.countyday import day
from domain.risk import RiskStatus
from domain.rules import Rule, RuleBook
from domain.tasks import Factors, HelpTask, Silence, Watch
from domain.workdays import WorkCalendar

Outcome = Literal[
    "no_rule",
    "silence_ended",
    "evidence",
    "unchanged",
    "no_task_to_join",
    "silenced",
    "cooldown",
    "opened",
]


@dataclass(frozen=True)
class Held:
    """What the store holds for the household: its watch and open task."""

    watch: Watch | None = None
    task: HelpTask | None = None


@dataclass(frozen=True)
class Evidence:
    """Worse risk to add to the open task."""

    level: str
    factors: Factors


@dataclass(frozen=True)
class Opening:
    """A task to open: which rule, what it suggests, by when."""

    kind: str
    rule_id: str
    title: str
    source: str
    measures: tuple[str, ...]
    visit_due: date
    measures_due: date


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    end_silences: tuple[str, ...] = ()  # "until clear" silences whose condition cleared
    evidence: Evidence | None = None
    opening: Opening | None = None


def factors_of(status: RiskStatus) -> Factors:
    return {
        f.code: {"severity": f.severity, "reason": f.reason, "figures": dict(f.figures)}
        for f in status.factors
    }


def decide(
    status: RiskStatus,
    rules: RuleBook,
    silences: Iterable[Silence],
    now: datetime,
    held: Callable[[], Held],
    calendar: WorkCalendar | None = None,
) -> Decision:
    """What to do about ``status``. ``held`` is called only when a rule picks
    the household: most households on most days are decided without reading
    the store. ``calendar``: the working days deadlines count (by default
    Monday to Friday and the rules' holidays)."""
    rule = rules.match(status)
    if rule is None:
        cleared = tuple(s.id for s in silences if _clears(s, status, now))
        return Decision("silence_ended", end_silences=cleared) if cleared else Decision("no_rule")
    factors = factors_of(status)
    watch, task = (h := held()).watch, h.task
    if task is not None:
        if task.wants_evidence(status.level, factors):
            return Decision("evidence", evidence=Evidence(status.level, factors))
        return Decision("unchanged")
    if rule.action == "join":
        return Decision("no_task_to_join")
    codes = set(factors)
    if any(
        s.active(now) and s.covers(status.household_id, status.township, codes) for s in silences
    ):
        return Decision("silenced")
    if watch is not None and watch.suppressed(status.level, factors, now, rules.cooldown_days):
        return Decision("cooldown")
    return Decision("opened", opening=opening(rules, rule, status, now, calendar))


def opening(
    rules: RuleBook,
    rule: Rule,
    status: RiskStatus,
    now: datetime,
    calendar: WorkCalendar | None = None,
) -> Opening:
    deadlines = rule.deadlines
    workdays = calendar or rules.weekdays()
    return Opening(
        kind=rule.task,
        rule_id=rule.id,
        title=rule.title,
        source=rule.source,
        measures=tuple(rules.measures_for(rule, status)),
        visit_due=workdays.add(day(now), deadlines.visit_working_days).on,
        measures_due=deadlines.measures_due(now),
    )


def _clears(s: Silence, status: RiskStatus, now: datetime) -> bool:
    """An active "until clear" silence of this household, or of its whole
    township (any factor), ends when no rule picks the household any more."""
    if not (s.until_clear and s.active(now)):
        return False
    if s.household_id is not None:
        return s.household_id == status.household_id
    return s.township == status.township and s.factor is None
