"""The alerts application: commands and queries on help tasks.

Triggers come from the households' store. Each is handled in one
transaction that records the task events together with a tracking record of
the store position (or of the scheduled job's period), so a trigger is never
lost and never makes two tasks, whatever restarts happen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import IntegrityError, ProcessRecorder, Tracking, Transcoder

from domain.facts import FactSheet
from domain.policy import LEVELS, PolicyBook
from domain.risk import RiskStatus, assess
from domain.rules import RuleBook
from domain.tasks import HelpTask, SilenceBook, TaskError, Watch
from services.infra.metrics import STORE_RETRIES, TASK_RESOLUTION
from services.infra.transcoder import DateAsISO

log = logging.getLogger(__name__)

ACTIONS = ("acknowledge", "record_visit", "record_measure", "resolve", "dismiss")


def _factors(status: RiskStatus) -> dict[str, dict[str, Any]]:
    return {
        f.code: {"severity": f.severity, "reason": f.reason, "figures": dict(f.figures)}
        for f in status.factors
    }


class Alerts(Application[UUID]):
    name = "Alerts"

    def __init__(
        self,
        env: dict[str, str],
        rules: RuleBook,
        policies: PolicyBook,
        clock: Callable[[], datetime],
    ) -> None:
        super().__init__(env)
        self.rules, self.policies, self.clock = rules, policies, clock

    def construct_recorder(self) -> ProcessRecorder:
        return self.factory.process_recorder()

    def register_transcodings(self, transcoder: Transcoder) -> None:
        super().register_transcodings(transcoder)  # type: ignore[arg-type]
        transcoder.register(DateAsISO())

    # -- triggers -------------------------------------------------------------

    def assess(self, household: FactSheet, on: date) -> RiskStatus:
        return assess(household.facts, self.policies.in_force(on), on)

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
        for attempt in range(3):
            now = self.clock()
            status = self.assess(household, now.date())
            processing = ProcessingEvent[UUID](tracking=tracking)
            if book is ...:
                book = self.silence_book()
            outcome = self._decide(status, processing, now, household.modified_on, book)
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
            return outcome
        raise AssertionError("unreachable")

    def _decide(
        self,
        status: RiskStatus,
        processing: ProcessingEvent[UUID],
        now: datetime,
        triggered_at: datetime | None,
        book: SilenceBook | None,
    ) -> str:
        hid = status.household_id
        rule = self.rules.match(status)
        if rule is None:
            # Most households on most days: decided without reading the store.
            if book and self._end_cleared_silences(book, hid, status.township, now):
                processing.collect_events(book)
                return "silence_ended"
            return "no_rule"
        factors = _factors(status)
        watch = self._get(Watch.create_id(hid))
        task: HelpTask | None = self._get(watch.open_task) if watch and watch.open_task else None
        if task is not None:
            if task.wants_evidence(status.level, factors):
                task.add_evidence(status.level, factors, now)
                processing.collect_events(task)
                return "evidence"
            return "unchanged"
        if rule.action == "join":
            return "no_task_to_join"
        if book and book.covering(hid, status.township, set(factors), now):
            return "silenced"
        if watch and watch.suppressed(status.level, factors, now, self.rules.cooldown_days):
            return "cooldown"
        watch = watch or Watch(hid, at=now)
        task = self._open_task(
            watch,
            status,
            now,
            rule.task,
            rule.id,
            rule.title,
            rule.source,
            self.rules.measures_for(rule, status),
            rule.deadlines.visit_working_days,
            rule.deadlines.measures_days,
            triggered_at,
        )
        processing.collect_events(watch, task)
        return "opened"

    def _open_task(
        self,
        watch: Watch,
        status: RiskStatus,
        now: datetime,
        kind: str,
        rule_id: str,
        title: str,
        source: str,
        measures: list[str],
        visit_days: int,
        measures_days: int,
        triggered_at: datetime | None = None,
    ) -> HelpTask:
        task = HelpTask(
            household_id=status.household_id,
            number=watch.tasks_opened + 1,
            kind=kind,
            rule_id=rule_id,
            title=title,
            source=source,
            township=status.township,
            village=status.village,
            card=status.card,
            level=status.level,
            factors=_factors(status),
            measures=measures,
            visit_due=self.rules.add_working_days(now.date(), visit_days),
            measures_due=now.date() + timedelta(days=measures_days),
            at=now,
            triggered_at=triggered_at,
        )
        watch.task_opened(task.id, now)
        log.info(
            "task opened",
            extra={
                "task_id": str(task.id),
                "household_id": status.household_id,
                "rule": rule_id,
                "level": status.level,
                "kind": kind,
            },
        )
        return task

    @staticmethod
    def _end_cleared_silences(
        book: SilenceBook, hid: str, township: str | None, now: datetime
    ) -> bool:
        ended = False
        for s in list(book.silences.values()):
            if (
                s.until_clear
                and s.active(now)
                and (
                    s.household_id == hid
                    or (s.household_id is None and s.township == township and s.factor is None)
                )
            ):
                book.end(s.id, "system", now, "condition cleared")
                ended = True
        return ended

    # -- staff actions ----------------------------------------------------------

    def act(self, task_id: UUID, action: str, by: str, **kwargs: Any) -> HelpTask:
        if action not in ACTIONS:
            raise TaskError(f"unknown action {action!r}")
        for attempt in range(3):
            now = self.clock()
            task = self.task(task_id)
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
                self.save(*objs)
            except IntegrityError:
                if attempt == 2:
                    raise
                STORE_RETRIES.labels("alerts").inc()
                continue
            if not task.is_open:
                TASK_RESOLUTION.labels(task.status).observe(
                    max((now - task.created_at).total_seconds(), 0.0)
                )
            return task
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

    def job_done(self, job: str, period: int) -> bool:
        return self.recorder.has_tracking_id(f"job:{job}", period)

    def finish_job(self, job: str, period: int, *aggregates: Any, position: bool = False) -> bool:
        """Records a job's period with the events it produced, atomically;
        False when that period was already recorded (it ran before a restart).
        ``position``: ``job`` names an upstream application and ``period`` is
        a notification id in its log."""
        name = job if position else f"job:{job}"
        processing = ProcessingEvent[UUID](tracking=Tracking(name, period))
        processing.collect_events(*aggregates)
        try:
            self._commit(processing)
        except IntegrityError:
            if self.recorder.has_tracking_id(name, period):
                return False
            raise
        return True

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

    def review_if_stable(self, household: FactSheet, now: datetime) -> HelpTask | None:
        """A risk clearance review for a household monitored long enough, given
        a measure, with income above the line for the last months; never for a
        household where no one can work."""
        c = self.rules.clearance
        watch = self._get(Watch.create_id(household.facts.code))
        if watch is None or watch.open_task is not None or watch.measures_given < 1:
            return None
        if household.facts.labour_capable < 1:
            return None
        if now < watch.monitored_since + timedelta(days=round(c.monitored_months * 30.4)):
            return None
        status = self.assess(household, now.date())
        line = self.policies.in_force(now.date()).poverty_line_yuan
        half = status.half_year_per_capita_income_yuan
        if half is None or half < line or (status.per_capita_income_yuan or 0) < line:
            return None
        if LEVELS.index(status.level) >= LEVELS.index("high"):
            return None
        task = self._open_task(
            watch,
            status,
            now,
            "review",
            "risk-clearance",
            "Review for risk clearance: stable above the line",
            c.source,
            [],
            2,
            15,
        )
        # Its own transaction: a re-run finds the open review task and stops.
        self.save(watch, task)
        return task

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

    def _get(self, aggregate_id: UUID | None) -> Any:
        if aggregate_id is None:
            return None
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _commit(self, processing: ProcessingEvent[UUID]) -> None:
        recordings = self._record(processing)
        self._notify(recordings)
