"""The alerts application: commands and queries on help tasks.

Triggers come from the households' store. Each is handled in one
transaction that records the task events together with a tracking record of
the store position (or of the scheduled job's period), so a trigger is never
lost and never makes two tasks, whatever restarts happen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, partial
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.persistence import IntegrityError, Tracking

from domain import countyday
from domain.alerting import Decision, Held, Opening, decide, factors_of
from domain.facts import Facts, FactSheet
from domain.policy import PolicyBook
from domain.risk import RiskStatus, assess
from domain.rules import RuleBook
from domain.tasks import HelpTask, SilenceBook, TaskError, Watch
from domain.workdays import WorkCalendar
from services.infra.metrics import STORE_RETRIES, TASK_RESOLUTION
from services.infra.processapp import TrackedApplication

log = logging.getLogger(__name__)

ACTIONS = ("acknowledge", "record_visit", "record_measure", "resolve", "dismiss")


def _read(household: FactSheet) -> tuple[Facts, datetime | None]:
    """What alerting reads of a household: its facts, and when they were
    stored (the task's trigger time). The one place that knows its shape."""
    return household.facts, household.modified_on


@dataclass(frozen=True)
class Acted:
    """A staff action's task as saved, and the notification id that recorded
    it (0 when the action changed nothing): a page that lists tasks waits for
    the tasks view to reach it."""

    task: HelpTask
    position: int


class Alerts(TrackedApplication):
    name = "Alerts"

    def __init__(
        self,
        env: dict[str, str],
        rules: RuleBook,
        policies: PolicyBook,
        clock: Callable[[], datetime],
        calendar: WorkCalendar | None = None,
    ) -> None:
        """``calendar``: the working days task deadlines count (by default
        Monday to Friday and the rules file's holidays)."""
        super().__init__(env)
        self.rules, self.policies, self.clock = rules, policies, clock
        self.calendar = calendar

    # -- triggers -------------------------------------------------------------

    def assess(self, household: FactSheet, on: date) -> RiskStatus:
        return self._assess(_read(household)[0], on)

    def _assess(self, facts: Facts, on: date) -> RiskStatus:
        return assess(facts, self.policies.in_force(on), on)

    def silence_book(self) -> SilenceBook | None:
        return self._get(SilenceBook.ID)

    def handle(
        self,
        household: FactSheet,
        tracking: Tracking | None = None,
        book: SilenceBook | None | object = ...,
    ) -> str:
        """Applies the rules to a household's current risk; returns what
        happened. ``book``: the silences, when the caller already read them."""
        facts, triggered_at = _read(household)
        for attempt in range(3):
            now = self.clock()
            status = self._assess(facts, countyday.day(now))
            if book is ...:
                book = self.silence_book()
            assert book is None or isinstance(book, SilenceBook)
            held = cache(partial(self._held, status.household_id))  # read once, if at all
            silences = book.silences.values() if book else ()
            decision = decide(status, self.rules, silences, now, held, self.calendar)
            processing = ProcessingEvent[UUID](tracking=tracking)
            self._carry_out(decision, processing, status, now, triggered_at, book, held)
            try:
                self._commit(processing)
            except IntegrityError:
                book = ...  # it may hold changes that were not stored
                if tracking and self.recorder.has_tracking_id(
                    tracking.application_name, tracking.notification_id
                ):
                    return "already_handled"
                if attempt == 2:
                    raise
                STORE_RETRIES.labels("alerts").inc()
                continue  # a task changed under us (staff acted): decide again
            return decision.outcome
        raise AssertionError("unreachable")

    def _carry_out(
        self,
        decision: Decision,
        processing: ProcessingEvent[UUID],
        status: RiskStatus,
        now: datetime,
        triggered_at: datetime | None,
        book: SilenceBook | None,
        held: Callable[[], Held],
    ) -> None:
        """Records what ``decide`` said: the events it implies join
        ``processing`` (committed in one transaction with the trigger's
        tracking record)."""
        if decision.end_silences and book is not None:
            for silence_id in decision.end_silences:
                book.end(silence_id, "system", now, "condition cleared")
            processing.collect_events(book)
        if decision.evidence is not None:
            task = held().task
            assert task is not None  # evidence is decided for an open task only
            task.add_evidence(decision.evidence.level, decision.evidence.factors, now)
            processing.collect_events(task)
        if decision.opening is not None:
            watch = held().watch or Watch(status.household_id, at=now)
            task = self._open_task(watch, status, now, decision.opening, triggered_at)
            processing.collect_events(watch, task)

    def _held(self, household_id: str) -> Held:
        watch = self.watch(household_id)
        task = self._get(watch.open_task) if watch and watch.open_task else None
        return Held(watch, task)

    def _open_task(
        self,
        watch: Watch,
        status: RiskStatus,
        now: datetime,
        opening: Opening,
        triggered_at: datetime | None = None,
    ) -> HelpTask:
        task = HelpTask(
            household_id=status.household_id,
            number=watch.tasks_opened + 1,
            kind=opening.kind,
            rule_id=opening.rule_id,
            title=opening.title,
            source=opening.source,
            township=status.township,
            village=status.village,
            card=status.card,
            level=status.level,
            factors=factors_of(status),
            measures=list(opening.measures),
            visit_due=opening.visit_due,
            measures_due=opening.measures_due,
            at=now,
            triggered_at=triggered_at,
        )
        watch.task_opened(task.id, now)
        log.info(
            "task opened",
            extra={
                "task_id": str(task.id),
                "household_id": status.household_id,
                "rule": opening.rule_id,
                "level": status.level,
                "kind": opening.kind,
            },
        )
        return task

    # -- staff actions ----------------------------------------------------------

    def act(self, task_id: UUID, action: str, by: str, **kwargs: Any) -> Acted:
        if action not in ACTIONS:
            raise TaskError(f"unknown action {action!r}")
        for attempt in range(3):
            now = self.clock()
            task = self.task(task_id)
            if task.kind == "plan" and action in ("resolve", "dismiss"):
                # One work list: a plan task closes with its plan task (plantasks.py).
                raise TaskError(
                    f"cannot {action}: a plan task is closed on the household's help plan"
                )
            getattr(task, action)(by, now, **kwargs)
            objs: list[Any] = [task]
            if not task.is_open:
                watch = self.repository.get(Watch.create_id(task.household_id))
                watch.task_closed(
                    task.id,
                    now,
                    task.level,
                    {code: f["severity"] for code, f in task.factors.items()},
                    len(task.measures_given),
                )
                objs.append(watch)
            try:
                recordings = self.save(*objs)
            except IntegrityError:
                if attempt == 2:
                    raise
                STORE_RETRIES.labels("alerts").inc()
                continue  # another request changed the task first: act on what it left
            if not task.is_open:
                TASK_RESOLUTION.labels(task.status).observe(
                    max((now - task.created_at).total_seconds(), 0.0)
                )
            return Acted(task, max((r.notification.id for r in recordings), default=0))
        raise AssertionError("unreachable")

    # -- silences -----------------------------------------------------------------

    def silence(self, **kwargs: Any) -> str:
        book = self._get(SilenceBook.ID) or SilenceBook()
        silence_id = book.silence(at=self.clock(), **kwargs)
        self.save(book)
        return silence_id

    def end_silence(self, silence_id: str, by: str, reason: str) -> None:
        book = self._get(SilenceBook.ID)
        if book is None:
            raise TaskError(f"no silence {silence_id}")
        book.end(silence_id, by, self.clock(), reason)
        self.save(book)

    def silences(self) -> list[Any]:
        book = self._get(SilenceBook.ID)
        return list(book.silences.values()) if book else []

    # -- scheduled jobs -------------------------------------------------------------

    def escalations(self, task_ids: list[UUID], on: date) -> list[HelpTask]:
        """Open tasks past a deadline: orange on the day after, red (supervised
        from above) a configured number of days later (plan §4(1))."""
        changed = []
        later = self.rules.escalation.second_level_after_days
        at = self.clock()
        for task_id in task_ids:
            task = self._get(task_id)
            if task is None or (since := task.overdue_since(on)) is None:
                continue
            level = 2 if on > since + timedelta(days=later) else 1
            before = task.escalation
            task.escalate(level, at, f"deadline {since.isoformat()} missed")
            if task.escalation != before:
                changed.append(task)
        return changed

    # -- queries ----------------------------------------------------------------------

    def task(self, task_id: UUID) -> HelpTask:
        try:
            return self.repository.get(task_id)
        except AggregateNotFoundError:
            raise TaskError(f"no task {task_id}") from None

    def task_at(self, task_id: UUID, version: int) -> HelpTask:
        return self.repository.get(task_id, version=version)

    def watch(self, household_id: str) -> Watch | None:
        return self._get(Watch.create_id(household_id))
