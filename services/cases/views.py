"""The cases and monitoring read models, how a case or a monitoring record
becomes its document, and which documents an account may see and how much
of them: a role that reads no households (village staff) reads no health
details (``domain.health``), so a case's leads say which channel and
department raised them, not what they found, and a help plan leaves its
health measures out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from domain import twoworries
from domain.access import Principal
from domain.cases import Case
from domain.casesteps import CaseSteps
from domain.health import HEALTH_FACTORS, HEALTH_MEASURES, sees_health
from domain.monitoring import MonitoringRecord
from domain.task_input import TaskError
from schemas.cases import SHOWN, CaseOut, MeasureOut, MonitoringOut, NoticeOut, PlanTaskOut
from services.infra.access import require_area
from services.infra.views import PostgresDocumentView, SQLiteDocumentView, Table

CASES = Table(
    name="cases",
    key="case_id",
    columns=(
        "household_id", "township", "village", "stage", "phase", "kind", "status",
        "escalation", "due_key", "decision_key",
    ),
    model=CaseOut,
    order="due_key",
    # The verification's 两不愁 findings (domain.twoworries.bits) and the
    # case's number among the household's: the county's table counts each
    # household's latest verification (services/cases/twoworries.py).
    sums=("two_worries", "number"),
    derived={"two_worries": lambda doc: twoworries.bits(doc.records.get("verify"))},
    refill=True,  # a case closed before the columns still counts its verification
)  # fmt: skip
MONITORING = Table(
    name="monitoring",
    key="household_id",
    columns=("township", "village", "status", "category", "since_month", "cleared_month"),
    model=MonitoringOut,
    order="household_id",
)
# A case's events: Case's own and those of the steps it is built on.
CASE_TOPICS = (get_topic(Case) + ".", get_topic(CaseSteps) + ".")
RECORD_TOPIC = get_topic(MonitoringRecord) + "."


class SQLiteCaseView(SQLiteDocumentView[CaseOut]):
    table = CASES


class PostgresCaseView(PostgresDocumentView[CaseOut]):
    table = CASES


class SQLiteMonitoringView(SQLiteDocumentView[MonitoringOut]):
    table = MONITORING


class PostgresMonitoringView(PostgresDocumentView[MonitoringOut]):
    table = MONITORING


CaseView = SQLiteCaseView | PostgresCaseView
MonitoringView = SQLiteMonitoringView | PostgresMonitoringView


def case_doc(case: Case) -> CaseOut:
    return CaseOut(
        case_id=str(case.id),
        version=case.version,
        household_id=case.household_id,
        number=case.number,
        kind=case.kind,  # type: ignore[arg-type]
        channel=case.channel,
        township=case.township,
        village=case.village,
        card=case.card,
        stage=case.stage,
        stage_started=case.stage_started,
        stage_due=case.stage_due if case.is_open else None,
        due_assumed=case.due_assumed,
        decision_due=case.decision_due,
        status=case.outcome or "open",  # type: ignore[arg-type]
        phase="open" if case.is_open else "closed",
        escalation=case.escalation,
        shown=SHOWN[case.escalation],  # type: ignore[arg-type]
        proposal=case.proposal,
        category=case.category,  # type: ignore[arg-type]
        clearance_kind=case.clearance_kind,  # type: ignore[arg-type]
        help_first=case.helped_first,
        notice=case.notice,
        objections=case.objections,
        records=case.records,
        reason=case.reason,
        reason_category=case.reason_category,  # type: ignore[arg-type]
        leads=case.leads,  # type: ignore[arg-type]
        opened_at=case.opened_at,
        updated_at=case.updated_at,
        history=case.history,  # type: ignore[arg-type]
    )


def monitoring_doc(record: MonitoringRecord) -> MonitoringOut:
    return MonitoringOut(
        household_id=record.household_id,
        version=record.version,
        township=record.township,
        village=record.village,
        status=record.status,  # type: ignore[arg-type]
        category=record.category,  # type: ignore[arg-type]
        monitored_since=record.monitored_since,
        cleared_on=record.cleared_on,
        cases_opened=record.cases_opened,
        open_case=str(record.open_case) if record.open_case else None,
        periods=record.periods,
        plan=[MeasureOut(**vars(m)) for m in record.plan.values()],
        measures_done=record.measures_done(),
        updated_at=record.updated_at,
        plan_tasks=[PlanTaskOut(**vars(t)) for t in record.plan_tasks.values()],
        category_changes=record.category_changes,
    )


def notice_doc(case: CaseOut) -> NoticeOut:
    """The village notice of a case whose notice is posted: its place,
    reference, category and dates only."""
    if case.notice is None:
        raise TaskError("the notice is not posted")
    return NoticeOut(
        case_id=case.case_id,
        kind=case.kind,
        township=case.township,
        village=case.village,
        household_id=case.household_id,
        category=case.category,
        clearance_kind=case.clearance_kind,
        starts_on=case.notice["starts_on"],
        ends_on=case.notice["ends_on"],
        posted_by_role=next(
            (h.role for h in reversed(case.history) if h.what == "notice posted"), ""
        ),
        objections=len(case.objections),
    )


def is_case_event(note: Notification) -> bool:
    return note.topic.startswith(CASE_TOPICS)


def is_record_event(note: Notification) -> bool:
    return note.topic.startswith(RECORD_TOPIC)


def docs(
    load_case: Callable[[UUID], Case],
    load_record: Callable[[UUID], MonitoringRecord],
    notes: Sequence[Notification],
    kind: str,
) -> list[Any]:
    """The current documents of the cases (``kind="case"``) or monitoring
    records the notifications changed."""
    if kind == "case":
        ids = dict.fromkeys(n.originator_id for n in notes if is_case_event(n))
        return [case_doc(load_case(i)) for i in ids]  # type: ignore[arg-type]
    ids = dict.fromkeys(n.originator_id for n in notes if is_record_event(n))
    return [monitoring_doc(load_record(i)) for i in ids]  # type: ignore[arg-type]


def case_for(who: Principal, case: CaseOut) -> CaseOut:
    """The case as ``who`` may read it."""
    if sees_health(who):
        return case
    hidden = {"rule_id": None, "title": None, "level": None, "factors": []}
    return case.model_copy(
        update={"leads": [lead.model_copy(update=hidden) for lead in case.leads]}
    )


def record_for(who: Principal, record: MonitoringOut) -> MonitoringOut:
    """The monitoring record as ``who`` may read it."""
    if sees_health(who):
        return record
    plan = [
        m.model_copy(update={"answers": None}) if m.answers in HEALTH_FACTORS else m
        for m in record.plan
        if m.kind not in HEALTH_MEASURES
    ]
    done = sum(1 for m in plan if m.state == "done")  # as MonitoringRecord.measures_done
    # A plan task of a health risk keeps its deadline and state, not what the risk is.
    tasks = [
        t.model_copy(
            update={
                "title": "",
                "reason": "",  # staff's words on a health risk
                "factors": [f for f in t.factors if f not in HEALTH_FACTORS],
                "answered": {f: m for f, m in t.answered.items() if f not in HEALTH_FACTORS},
            }
        )
        if HEALTH_FACTORS & set(t.factors)
        else t
        for t in record.plan_tasks
    ]
    return record.model_copy(update={"plan": plan, "measures_done": done, "plan_tasks": tasks})


def visible_case(cases: Any, case_id: UUID, who: Principal) -> CaseOut:
    """The case's current document as ``who`` may read it, when ``who`` may
    see it (else 403, or 404 for the county when there is no such case)."""
    try:
        case = case_doc(cases.case(case_id))
    except TaskError:
        case = None
    require_area(
        who, case is not None, case and case.township, case and case.village, f"no case {case_id}"
    )
    assert case is not None
    return case_for(who, case)
