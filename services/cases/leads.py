"""Leads from the departments' data: each help task the alert rules open
becomes a lead that opens a case for its household (or joins its open case),
or, for a monitoring object with no open case, a task on its help plan (due
when the help task wants its measures): it is never identified again.

The follower reads the alerts' log; each lead is taken in one transaction
with a tracking record of its task's notification, and a batch without leads
records its last position alone, so a restart neither loses nor repeats a lead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Notification, Tracking, TrackingRecorder

from domain.tasks import HelpTask
from services.cases.app import Cases, Place
from services.infra.runner import LogRunner

# Task kinds that are leads: help and identification; a clearance review task
# (from before the procedure) is not.
LEAD_KINDS = ("help", "identify")


def lead_of(task: HelpTask) -> dict[str, Any]:
    return {
        "channel": "department",
        "at": task.created_at,
        "rule_id": task.rule_id,
        "title": task.title,
        "source": task.source,
        "level": task.level,
        "factors": sorted(task.factors),
        "task_id": str(task.id),
    }


class LeadFollower(LogRunner[list[tuple[Notification, HelpTask]]]):
    def __init__(
        self,
        alerts: Application[Any],
        cases: Cases,
        task_at: Callable[[UUID, int], HelpTask],
        is_task_event: Callable[[Notification], bool],
    ) -> None:
        super().__init__(alerts, cast(TrackingRecorder, cases.recorder), self, "case_leads")
        self.cases, self.task_at, self.is_task_event = cases, task_at, is_task_event

    def prepare(self, notes: Sequence[Notification]) -> list[tuple[Notification, HelpTask]]:
        out = []
        for n in notes:
            if self.is_task_event(n) and n.originator_version == 1:
                task = self.task_at(cast(UUID, n.originator_id), 1)
                if task.kind in LEAD_KINDS:
                    out.append((n, task))
        return out

    def record(
        self,
        work: list[tuple[Notification, HelpTask]],
        notes: Sequence[Notification],
        tracking: Tracking,
    ) -> None:
        upstream = tracking.application_name
        for note, task in work:
            if self.cases.recorder.has_tracking_id(upstream, note.id):
                continue  # taken before a restart
            place = Place(task.household_id, task.township, task.village, task.card)
            self.cases.take_lead(
                place, lead_of(task), tracking=Tracking(upstream, note.id),
                plan_due=task.measures_due,
            )  # fmt: skip
        if not work or work[-1][0].id != tracking.notification_id:
            # A batch's last notification that was not a lead: its position alone.
            self.cases.finish_job(upstream, tracking.notification_id, position=True)
