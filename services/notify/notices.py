"""What is pushed, from the cases: a new case for a township, an escalation
to the county office, a decision (followed from the cases store's log, each
notification's notices offered in one transaction with its position), and
each morning's scan of open cases for stages due tomorrow and overdue.

Who a notice is for comes from the procedure: the roles that act at the
case's stage (the township's staff for decisions; the county office too for
an escalation)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Notification, Tracking, TrackingRecorder

from domain.cases import Case
from domain.notify import Notice, Topic
from domain.procedure import Procedure
from domain.tasks import Silence
from schemas.cases import CaseOut
from services.cases.views import is_case_event
from services.infra.runner import LogRunner
from services.notify.app import Notify

# Which case events are news, by the event class's name.
NEWS: dict[str, Topic] = {
    "Opened": "lead",
    "Escalated": "escalated",
    "Decided": "decided",
    "HelpedFirst": "help_first",
}
# Help that tells of a health condition is pushed without its kind.
HEALTH_MEASURES = frozenset({"medical_aid"})
DECIDERS = ("staff",)  # the township hears the county's decision


def _notice(
    topic: Topic, case: Case | CaseOut, roles: Iterable[str], at: datetime, **kw: Any
) -> Notice | None:
    if not case.township:
        return None  # a household no township owns yet reaches the county's list only
    case_id = str(case.id) if isinstance(case, Case) else case.case_id
    return Notice(
        topic=topic,
        case_id=case_id,
        township=case.township,
        village=case.village or "",
        household_ref=case.household_id,
        household_id=case.household_id,
        roles=tuple(dict.fromkeys(roles)),
        at=at,
        **kw,
    )


def news(case: Case, event: str, at: datetime, procedure: Procedure) -> Notice | None:
    """The notice a case's event makes, if it is news."""
    topic = NEWS.get(event)
    if topic is None:
        return None
    factors = tuple(sorted({f for lead in case.leads for f in lead.get("factors", ())}))
    if topic == "decided":
        detail = case.category if case.outcome == "monitored" and case.category else "declined"
        if case.outcome not in ("monitored", "declined"):
            detail = case.outcome or ""
        return _notice("decided", case, DECIDERS, at, detail=detail, factors=factors)
    if topic == "help_first":
        given = case.helped_first[-1]
        kind = "" if given["kind"] in HEALTH_MEASURES else given["kind"]
        roles = list(procedure.green_channel.roles) + list(DECIDERS)
        return _notice(
            "help_first", case, roles, at, stage=given["id"], due=given["due_on"], detail=kind
        )
    stage = case.stage or ""
    roles = list(procedure.roles(stage)) if stage else list(DECIDERS)
    if topic == "escalated":
        roles.append("county")
        stage = case.escalated_stage or stage
    declared = topic == "lead" and case.channel == "household"  # capped per group and hour
    return _notice(
        topic, case, roles, at, stage=stage, due=case.stage_due, factors=factors, declared=declared
    )


def scan(
    open_cases: Iterable[CaseOut], now: datetime, today: date, procedure: Procedure
) -> list[Notice]:
    """Stages due tomorrow, and stages past their deadline (pushed again
    after each receiver's repeat interval while they stay overdue)."""
    out = []
    tomorrow = today + timedelta(days=1)
    for case in open_cases:
        if not case.stage or case.stage_due is None:
            continue
        topic: Topic | None = (
            "due" if case.stage_due == tomorrow else "overdue" if case.stage_due < today else None
        )
        if topic is None:
            continue
        n = _notice(
            topic, case, procedure.roles(case.stage), now, stage=case.stage, due=case.stage_due
        )
        if n is not None:
            out.append(n)
    return out


class NoticeFollower(LogRunner[list[tuple[Notification, Notice]]]):
    """Follows the cases' log; each news notice is offered with the tracking
    record of its notification, a batch without news records its position."""

    def __init__(
        self,
        cases: Application[Any],
        notify: Notify,
        case_at: Callable[[UUID, int], Case],
        procedure: Callable[[], Procedure],
        silences: Callable[[], Sequence[Silence]],
    ) -> None:
        """``procedure``: the one in force (it is reloaded when its file changes)."""
        super().__init__(cases, cast(TrackingRecorder, notify.recorder), self, "notify_cases")
        self.notify, self.case_at, self.procedure = notify, case_at, procedure
        self.silences = silences

    def prepare(self, notes: Sequence[Notification]) -> list[tuple[Notification, Notice]]:
        out = []
        for n in notes:
            if not is_case_event(n):
                continue
            event = n.topic.rsplit(".", 1)[-1]
            if event not in NEWS:
                continue
            case = self.case_at(cast(UUID, n.originator_id), n.originator_version)
            notice = news(case, event, case.updated_at, self.procedure())
            if notice is not None:
                out.append((n, notice))
        return out

    def record(
        self,
        work: list[tuple[Notification, Notice]],
        notes: Sequence[Notification],
        tracking: Tracking,
    ) -> None:
        upstream = tracking.application_name
        silences = self.silences()
        for note, notice in work:
            self.notify.offer([notice], silences, Tracking(upstream, note.id))
        if not work or work[-1][0].id != tracking.notification_id:
            self.notify.finish_job(upstream, tracking.notification_id, position=True)
