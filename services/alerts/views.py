"""The tasks read model, how a task becomes its document, and which task
documents an account may see."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from domain.access import Principal
from domain.tasks import HelpTask, TaskError
from schemas.tasks import SHOWN, HistoryEntry, TaskFactor, TaskOut
from services.infra.access import require_visible
from services.infra.views import PostgresDocumentView, SQLiteDocumentView, Table

TASKS = Table(
    name="help_tasks",
    key="task_id",
    columns=("household_id", "township", "status", "phase", "kind", "escalation", "due_key"),
    model=TaskOut,
    order="due_key",
)
TASK_TOPIC_PREFIX = get_topic(HelpTask) + "."


class SQLiteTaskView(SQLiteDocumentView[TaskOut]):
    table = TASKS


class PostgresTaskView(PostgresDocumentView[TaskOut]):
    table = TASKS


TaskView = SQLiteTaskView | PostgresTaskView


def is_task_event(note: Notification) -> bool:
    return note.topic.startswith(TASK_TOPIC_PREFIX)


def task_doc(task: HelpTask) -> TaskOut:
    pending = []
    if task.is_open:
        if not task.visits and task.kind != "plan":
            pending.append(task.visit_due)
        if not task.measures_given:
            pending.append(task.measures_due)
    return TaskOut(
        task_id=str(task.id),
        version=task.version,
        household_id=task.household_id,
        township=task.township,
        village=task.village,
        card=task.card,
        kind=task.kind,
        rule_id=task.rule_id,
        title=task.title,
        source=task.source,
        level=task.level,
        factors=[TaskFactor(code=c, **f) for c, f in sorted(task.factors.items())],
        suggested_measures=task.measures,
        visit_due=task.visit_due,
        measures_due=task.measures_due,
        next_due=min(pending) if pending else None,
        status=task.status,
        phase="open" if task.is_open else "closed",
        escalation=task.escalation,
        shown=SHOWN[task.escalation],
        created_at=task.created_at,
        updated_at=task.updated_at,
        acknowledged_by=task.acknowledged_by,
        visits=task.visits,
        measures_given=task.measures_given,
        outcome=task.outcome,
        history=[HistoryEntry(**h) for h in task.history],
        plan_factors=task.plan_factors,
    )


def visible_task(alerts, task_id: UUID, who: Principal) -> TaskOut:
    """The task's current document, when ``who`` may see it (else 403, or 404
    for the county office when there is no such task)."""
    try:
        task = task_doc(alerts.task(task_id))
    except TaskError:
        task = None
    require_visible(who, task is not None, task and task.township, f"no task {task_id}")
    return task


def task_docs(load, notes: Sequence[Notification]) -> list[TaskOut]:
    ids = dict.fromkeys(n.originator_id for n in notes if is_task_event(n))
    return [task_doc(load(i)) for i in ids]


def reaches(view: TaskView, upstream: str, position: int, timeout: float = 5.0) -> bool:
    """Waits until ``view`` reflects ``upstream``'s notification ``position``
    (read-your-writes for a page that lists tasks after an action); False
    when it did not within ``timeout`` seconds. Only the leading process's
    follower writes the view: a request never projects it itself, so two
    processes never race to record the same position."""
    try:
        view.wait(upstream, position, timeout)  # the library's wait on the view's tracking
    except TimeoutError:
        return False
    return True


def open_plan_tasks(view: TaskView, who: Principal, limit: int = 200) -> list[TaskOut]:
    """The open plan tasks of ``who``'s area (a village account's own
    village's), deadline first: on the work list beside the cases."""
    township = None if who.countywide else who.township
    found = view.search(limit=limit, kind="plan", phase="open", township=township).items
    return [t for t in found if who.village is None or t.village == who.village]
