"""Plan tasks on the help tasks: what a monitoring record's plan task says,
its help task says too, so staff work one list.

The follower reads the cases' log. A plan task opened on a record from a
department's lead moves its help task to the plan (kind ``plan``: closed
only through the plan); staff's and households' leads have no help task
(``services/cases/planlist.py`` lists them). A plan task done (a measure answers every new factor) resolves it, one
closed with staff's reason dismisses it with that reason. Each change is
saved in the alerts store in one transaction with the tracking record of
the notification that asked for it, so it is made exactly once whatever
restarts happen; a batch's last notification that asks nothing records its
position alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import Notification, Tracking, TrackingRecorder

from domain.monitoring import PlanTask
from domain.tasks import HelpTask, Watch
from services.cases.app import Cases
from services.cases.views import is_record_event
from services.infra.processapp import TrackedApplication
from services.infra.runner import LogRunner

log = logging.getLogger(__name__)

# The record's events that change a plan task, by class name.
PLAN_EVENTS = ("PlanTaskOpened", "PlanTaskDone", "PlanTaskClosed")

Work = list[tuple[Notification, str, PlanTask]]


def plan_event(note: Notification) -> str | None:
    name = note.topic.rsplit(".", 1)[-1]
    return name if is_record_event(note) and name in PLAN_EVENTS else None


class PlanTaskFollower(LogRunner[Work]):
    def __init__(self, cases: Cases, alerts: TrackedApplication) -> None:
        super().__init__(cases, cast(TrackingRecorder, alerts.recorder), self, "plan_tasks")
        self.cases, self.alerts = cases, alerts

    def prepare(self, notes: Sequence[Notification]) -> Work:
        out: Work = []
        for n in notes:
            if (name := plan_event(n)) is None:
                continue
            oid, version = cast(UUID, n.originator_id), n.originator_version
            (event,) = self.cases.events.get(oid, gt=version - 1, lte=version)
            plan = self.cases.record_at(oid, version).plan_tasks[event.task_id]
            if plan.channel == "department":  # staff's and households' have no help task
                out.append((n, name, plan))
        return out

    def record(self, work: Work, notes: Sequence[Notification], tracking: Tracking) -> None:
        upstream = tracking.application_name
        for note, name, plan in work:
            if self.alerts.recorder.has_tracking_id(upstream, note.id):
                continue  # made before a restart
            self.alerts.finish_job(upstream, note.id, *self._change(name, plan), position=True)
        if not work or work[-1][0].id != tracking.notification_id:
            self.alerts.finish_job(upstream, tracking.notification_id, position=True)

    def _change(self, name: str, plan: PlanTask) -> list[Any]:
        try:
            task: HelpTask = self.alerts.repository.get(UUID(plan.task_id))
        except AggregateNotFoundError:
            log.warning("plan task without its help task", extra={"task_id": plan.task_id})
            return []
        if name == "PlanTaskOpened":
            task.move_to_plan(plan.factors, plan.opened_at)
            return [task]
        if not task.is_open:
            return []  # closed before a restart: left as it is
        at, by = plan.closed_at or plan.opened_at, plan.closed_by or "system"
        if name == "PlanTaskDone":
            task.resolve(by, at, plan.reason)
        else:
            task.dismiss(by, at, plan.reason)
        watch: Watch = self.alerts.repository.get(Watch.create_id(task.household_id))
        severities = {code: f["severity"] for code, f in task.factors.items()}
        watch.task_closed(task.id, at, task.level, severities, len(task.measures_given))
        return [task, watch]
