"""What a decision promises beyond the case: its lead tasks closed and the
contact a household outside the registry left erased.

The follower reads the cases' log; a decision's follow-up touches three
stores, in this order: the alerts store (each lead task resolved or
dismissed), the contacts table (the sealed text blanked) and the cases
store (the contact record's erasure, written in one transaction with the
tracking record of the decision's notification). The position is recorded
with the last change, so it never passes a decision whose follow-up is not
stored whole; a crash anywhere before it leaves the position behind the
decision, and the follow-up runs again from its start. Every step is
idempotent, so that repetition changes nothing done before: a closed task
refuses to be closed again (and is left as it is), a blank row is written
blank, an erased record records no second erasure. A batch's last
notification that is no decision records its position alone. The process
that saves a decision need not be the one that follows it, nor be alive
when it is followed: the leading alerts process catches up at its start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast
from uuid import UUID

from eventsourcing.persistence import Notification, Tracking, TrackingRecorder

from domain.cases import Case
from services.cases.app import Cases
from services.cases.contacts import ContactBook
from services.cases.views import is_case_event
from services.infra.runner import LogRunner

DECIDED = "Decided"  # the case's event class, by name


def is_decision(note: Notification) -> bool:
    return is_case_event(note) and note.topic.rsplit(".", 1)[-1] == DECIDED


class DecidedFollower(LogRunner[list[tuple[Notification, Case]]]):
    def __init__(
        self, cases: Cases, contacts: ContactBook, close_leads: Callable[[Case], None]
    ) -> None:
        """``close_leads``: closes a decided case's lead tasks, leaving those
        already closed as they are."""
        super().__init__(cases, cast(TrackingRecorder, cases.recorder), self, "case_decided")
        self.cases, self.contacts, self.close_leads = cases, contacts, close_leads

    def prepare(self, notes: Sequence[Notification]) -> list[tuple[Notification, Case]]:
        return [
            (n, self.cases.case_at(cast(UUID, n.originator_id), n.originator_version))
            for n in notes
            if is_decision(n)
        ]

    def record(
        self,
        work: list[tuple[Notification, Case]],
        notes: Sequence[Notification],
        tracking: Tracking,
    ) -> None:
        upstream = tracking.application_name
        for note, case in work:
            if self.cases.recorder.has_tracking_id(upstream, note.id):
                continue  # followed before a restart
            self.close_leads(case)
            self.contacts.erase(case.household_id, Tracking(upstream, note.id))
        if not work or work[-1][0].id != tracking.notification_id:
            self.cases.finish_job(upstream, tracking.notification_id, position=True)
