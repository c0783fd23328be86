"""The alerts service's HTTP API: help tasks, their actions, and silences."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from fastapi import Depends, FastAPI, HTTPException, Query
from prometheus_client.core import Metric
from pydantic import BaseModel

from domain import countyday
from domain.access import Permission, Principal
from domain.tasks import Silence, TaskError, TaskInputError
from domain.vocabulary import FactorCode, Measure
from schemas.tasks import TaskOut, TaskPage
from services.alerts.app import Alerts
from services.alerts.views import TaskView, task_doc, visible_task
from services.infra import apidocs, metrics
from services.infra.access import Accounts, allowed, scoped_township, signed_in
from services.infra.metrics import ReadModelCollector, service_registry
from services.infra.refusals import refused
from services.infra.views import MAX_OFFSET

# Bodies give types; what text may say and how long it may be is the domain's
# rule (domain/tasks.py), answered as 422 naming the field.


class Visit(BaseModel):
    visited_on: date
    note: str = ""


class MeasureGiven(BaseModel):
    kind: Measure
    department: str


class Resolve(BaseModel):
    outcome: str


class Dismiss(BaseModel):
    reason: str


class SilenceIn(BaseModel):
    reason: str
    expires_at: datetime
    household_id: str | None = None
    township: str | None = None
    factor: FactorCode | None = None
    until_clear: bool = False


class SilenceOut(BaseModel):
    id: str
    reason: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    household_id: str | None
    township: str | None
    factor: str | None
    until_clear: bool
    ended_at: datetime | None
    ended_by: str | None
    end_reason: str | None
    active: bool


class EndSilence(BaseModel):
    reason: str


def create_app(
    alerts: Alerts,
    tasks: TaskView,
    accounts: Accounts,
    clock: Callable[[], datetime],
    ready: Callable[[], str | None],
    gauges: Callable[[], Iterable[Metric]],
) -> FastAPI:
    """``ready``: None when the process can serve, else why not; ``gauges``:
    the read models' metrics at scrape time."""
    app = FastAPI(
        title="povwatch alerts",
        version="1",
        description="Help tasks for townships, their deadlines and actions; silences. "
        "Every endpoint but /healthz and /readyz needs a token (Authorization: Bearer); "
        "township staff see and act on their own township's tasks only. "
        "The township inbox (web pages) is served under /inbox.",
        **apidocs.CLOSED,
    )
    current = signed_in(accounts)
    task_routes(app, alerts, tasks, clock, current)
    silence_routes(app, alerts, clock, allowed(current, Permission.MANAGE_SILENCES))

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz", tags=["health"])
    def readyz() -> dict[str, object]:
        # Open to probes (no token): it says ready or not, and why not; no figures.
        problem = ready()
        if problem is not None:
            raise HTTPException(503, problem)
        return {"status": "ready"}

    scraper = allowed(current, Permission.SCRAPE_METRICS)
    metrics.mount(app, service_registry(ReadModelCollector(gauges)), scraper)
    apidocs.mount(app, allowed(current, Permission.READ_API_SPEC))
    return app


def task_routes(
    app: FastAPI,
    alerts: Alerts,
    tasks: TaskView,
    clock: Callable[[], datetime],
    current: Callable[..., Principal],
) -> None:
    reader = allowed(current, Permission.READ_TASKS)
    actor = allowed(current, Permission.ACT_ON_TASKS)

    def act(task_id: UUID, who: Principal, action: str, **kwargs: object) -> TaskOut:
        visible_task(alerts, task_id, who)
        try:
            done = alerts.act(task_id, action, by=who.name, **kwargs)
        except TaskInputError as e:
            raise refused(e) from None
        except TaskError as e:
            raise HTTPException(409, str(e)) from None
        # The answer is the task as saved; the tasks view follows in the
        # leading process (a request never writes it).
        return task_doc(done.task)

    @app.get("/tasks", response_model=TaskPage, tags=["tasks"])
    def list_tasks(
        township: str | None = None,
        status: Literal["open", "acknowledged", "resolved", "dismissed"] | None = None,
        phase: Literal["open", "closed"] | None = None,
        overdue: bool = False,
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
        who: Principal = Depends(reader),
    ) -> TaskPage:
        township = scoped_township(who, township)
        before = countyday.day(clock()).isoformat() if overdue else None
        if overdue:
            phase = "open"
        page = tasks.search(
            limit=limit, offset=offset, before=before, township=township, status=status, phase=phase
        )
        return TaskPage(items=page.items, total=page.total, limit=limit, offset=offset)

    @app.get("/tasks/{task_id}", response_model=TaskOut, tags=["tasks"])
    def get_task(task_id: UUID, who: Principal = Depends(reader)) -> TaskOut:
        return visible_task(alerts, task_id, who)

    @app.post("/tasks/{task_id}/acknowledge", response_model=TaskOut, tags=["tasks"])
    def acknowledge(task_id: UUID, who: Principal = Depends(actor)) -> TaskOut:
        return act(task_id, who, "acknowledge")

    @app.post("/tasks/{task_id}/visits", response_model=TaskOut, tags=["tasks"])
    def visit(task_id: UUID, body: Visit, who: Principal = Depends(actor)) -> TaskOut:
        return act(task_id, who, "record_visit", visited_on=body.visited_on, note=body.note)

    @app.post("/tasks/{task_id}/measures", response_model=TaskOut, tags=["tasks"])
    def measure(task_id: UUID, body: MeasureGiven, who: Principal = Depends(actor)) -> TaskOut:
        return act(task_id, who, "record_measure", kind=body.kind, department=body.department)

    @app.post("/tasks/{task_id}/resolve", response_model=TaskOut, tags=["tasks"])
    def resolve(task_id: UUID, body: Resolve, who: Principal = Depends(actor)) -> TaskOut:
        return act(task_id, who, "resolve", outcome=body.outcome)

    @app.post("/tasks/{task_id}/dismiss", response_model=TaskOut, tags=["tasks"])
    def dismiss(task_id: UUID, body: Dismiss, who: Principal = Depends(actor)) -> TaskOut:
        return act(task_id, who, "dismiss", reason=body.reason)


def silence_routes(
    app: FastAPI, alerts: Alerts, clock: Callable[[], datetime], operator: Callable[..., Principal]
) -> None:
    def silence_out(s: Silence, now: datetime) -> SilenceOut:
        return SilenceOut(**s.__dict__, active=s.active(now))

    @app.get("/silences", response_model=list[SilenceOut], tags=["silences"])
    def list_silences(
        active: bool | None = None, who: Principal = Depends(operator)
    ) -> list[SilenceOut]:
        now = clock()
        out = [silence_out(s, now) for s in alerts.silences()]
        return [s for s in out if active is None or s.active == active]

    @app.post("/silences", response_model=SilenceOut, status_code=201, tags=["silences"])
    def create_silence(body: SilenceIn, who: Principal = Depends(operator)) -> SilenceOut:
        try:
            sid = alerts.silence(created_by=who.name, **body.model_dump())
        except TaskInputError as e:
            raise refused(e) from None
        return next(silence_out(s, clock()) for s in alerts.silences() if s.id == sid)

    @app.post("/silences/{silence_id}/end", response_model=SilenceOut, tags=["silences"])
    def end_silence(
        silence_id: str, body: EndSilence, who: Principal = Depends(operator)
    ) -> SilenceOut:
        try:
            alerts.end_silence(silence_id, who.name, body.reason)
        except TaskInputError as e:
            raise refused(e) from None
        except TaskError as e:
            raise HTTPException(404, str(e)) from None
        return next(silence_out(s, clock()) for s in alerts.silences() if s.id == silence_id)
