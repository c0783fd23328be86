"""What-if: a household's facts assessed under the policy and rules in force
and under a proposed pair, side by side, and a summary that adds the
comparisons up by township. Pure: the caller reads the facts and loads the
files; nothing here writes or reads a store.

A lead is what the alert triggers would open for the household on the day
(``domain.alerting.decide``) if it held no open task and no watch and no
silence covered it: the rules' answer alone. What the alerts store holds for
a household (an open task, a cooldown, a silence) is the live service's, and
a proposal is assessed before any of that exists for it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from domain import countyday
from domain.alerting import Held, decide
from domain.facts import Facts
from domain.policy import PolicyBook
from domain.risk import RiskStatus, assess, assess_both
from domain.rules import RuleBook
from domain.vocabulary import FACTOR_CODES, LEVELS


@dataclass(frozen=True)
class Regime:
    """A policy book and a rule book: what a household is assessed under."""

    policies: PolicyBook
    rules: RuleBook


@dataclass(frozen=True, slots=True)
class Side:
    """One household's assessment under one regime."""

    level: str
    factors: frozenset[str]
    lead: bool


@dataclass(frozen=True, slots=True)
class Change:
    """One household under the regime in force and under the proposed one."""

    household_id: str
    township: str | None
    village: str | None
    current: Side
    proposed: Side

    @property
    def changed(self) -> bool:
        return self.current != self.proposed

    @property
    def level_changed(self) -> bool:
        return self.current.level != self.proposed.level

    @property
    def added(self) -> tuple[str, ...]:
        """Factors the proposal finds that the regime in force does not, in the
        vocabulary's order."""
        return tuple(c for c in FACTOR_CODES if c in self.proposed.factors - self.current.factors)

    @property
    def removed(self) -> tuple[str, ...]:
        return tuple(c for c in FACTOR_CODES if c in self.current.factors - self.proposed.factors)


def moment(on: date) -> datetime:
    """The time a what-if's decisions are taken at: the start of its day (the
    rules read only its date when no watch or silence is held)."""
    return countyday.start_of(on)


def side(status: RiskStatus, rules: RuleBook, now: datetime) -> Side:
    decision = decide(status, rules, (), now, Held)
    return Side(
        status.level, frozenset(f.code for f in status.factors), decision.outcome == "opened"
    )


def _alike(status: RiskStatus, seen: Side) -> bool:
    return status.level == seen.level and frozenset(f.code for f in status.factors) == seen.factors


class Comparison:
    """Both regimes as they stand on one date, for comparing household after
    household: the policies in force, the time and whether anything differs
    are found once, not once a household."""

    __slots__ = ("current", "proposed", "on", "now", "policy_now", "policy_new", "same")

    def __init__(self, current: Regime, proposed: Regime, on: date) -> None:
        self.current, self.proposed, self.on, self.now = current, proposed, on, moment(on)
        self.policy_now = current.policies.in_force(on)
        self.policy_new = proposed.policies.in_force(on)
        self.same = (self.policy_new == self.policy_now, proposed.rules == current.rules)

    def of(self, facts: Facts) -> Change:
        """The household assessed under both regimes. A policy in force that
        the proposal keeps as it is is assessed once."""
        same_policy, same_rules = self.same
        if same_policy:
            status_now = status_new = assess(facts, self.policy_now, self.on)
        else:
            status_now, status_new = assess_both(facts, self.policy_now, self.policy_new, self.on)
        side_now = side(status_now, self.current.rules, self.now)
        if same_rules and (same_policy or _alike(status_new, side_now)):
            # The rules read a status's card, level and factor codes only:
            # the same rules decide alike on a status alike in those.
            side_new = side_now
        else:
            side_new = side(status_new, self.proposed.rules, self.now)
        return Change(facts.code, facts.township, facts.village, side_now, side_new)


def compare(facts: Facts, current: Regime, proposed: Regime, on: date) -> Change:
    """One household's facts assessed on ``on`` under both regimes."""
    return Comparison(current, proposed, on).of(facts)


@dataclass
class Tally:
    """One township's households under both regimes. ``moves`` counts the
    households whose level changes, by (level in force, proposed level);
    ``added`` and ``removed`` count factor codes over the households that change."""

    households: int = 0
    changed: int = 0
    moves: Counter[tuple[str, str]] = field(default_factory=Counter)
    leads_current: int = 0
    leads_proposed: int = 0
    new_leads: int = 0  # a lead under the proposal and none under the regime in force
    added: Counter[str] = field(default_factory=Counter)
    removed: Counter[str] = field(default_factory=Counter)

    def add(self, change: Change) -> None:
        self.households += 1
        self.leads_current += change.current.lead
        self.leads_proposed += change.proposed.lead
        self.new_leads += change.proposed.lead and not change.current.lead
        if not change.changed:
            return
        self.changed += 1
        if change.level_changed:
            self.moves[(change.current.level, change.proposed.level)] += 1
        self.added.update(change.added)
        self.removed.update(change.removed)

    def merge(self, other: Tally) -> None:
        self.households += other.households
        self.changed += other.changed
        self.moves.update(other.moves)
        self.leads_current += other.leads_current
        self.leads_proposed += other.leads_proposed
        self.new_leads += other.new_leads
        self.added.update(other.added)
        self.removed.update(other.removed)

    @property
    def level_changes(self) -> int:
        return sum(self.moves.values())

    def ordered_moves(self) -> list[tuple[str, str, int]]:
        """The level moves, from the mildest level in force, then to the mildest."""
        return sorted(
            ((a, b, n) for (a, b), n in self.moves.items()),
            key=lambda m: (LEVELS.index(m[0]), LEVELS.index(m[1])),
        )

    def drivers(self) -> list[tuple[str, int, int]]:
        """Each factor code that changes for some household: (code, households
        that gain it, households that lose it), in the vocabulary's order."""
        return [
            (c, self.added[c], self.removed[c])
            for c in FACTOR_CODES
            if self.added[c] or self.removed[c]
        ]


@dataclass
class Summary:
    """The comparison added up per township (None: households the registry
    does not place)."""

    townships: dict[str | None, Tally] = field(default_factory=dict)

    def add(self, change: Change) -> None:
        tally = self.townships.get(change.township)
        if tally is None:
            tally = self.townships[change.township] = Tally()
        tally.add(change)

    def merge(self, other: Summary) -> Summary:
        for township, tally in other.townships.items():
            self.townships.setdefault(township, Tally()).merge(tally)
        return self

    def total(self) -> Tally:
        out = Tally()
        for tally in self.townships.values():
            out.merge(tally)
        return out

    def rows(self) -> list[tuple[str | None, Tally]]:
        """The townships by name, the households without one last."""
        named = sorted((t, x) for t, x in self.townships.items() if t is not None)
        return [*named, *((t, x) for t, x in self.townships.items() if t is None)]
