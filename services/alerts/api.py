"""The alerts service's HTTP API: help tasks, their actions, and silences."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Literal
from uuid import UUID

from fastapi import FastAPI, HTTPException, Query
from prometheus_client import make_asgi_app

from services import kafka
from services.metrics import ReadModelCollector, service_registry
from pydantic import BaseModel, Field

from domain.rules import FactorCode, Measure
from domain.tasks import TaskError
from schemas.tasks import TaskOut, TaskPage
from services.alerts.views import task_doc

if TYPE_CHECKING:
    from services.alerts.service import AlertsService

Actor = Field(min_length=1, max_length=100, description="who acts (a staff account)")


class Acknowledge(BaseModel):
    by: str = Actor


class Visit(BaseModel):
    by: str = Actor
    visited_on: date
    note: str = Field("", max_length=2000)


class MeasureGiven(BaseModel):
    by: str = Actor
    kind: Measure
    department: str = Field(min_length=1, max_length=100)


class Resolve(BaseModel):
    by: str = Actor
    outcome: str = Field(min_length=1, max_length=2000)


class Dismiss(BaseModel):
    by: str = Actor
    reason: str = Field(min_length=1, max_length=2000)


class SilenceIn(BaseModel):
    created_by: str = Actor
    reason: str = Field(min_length=1, max_length=500)
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
    by: str = Actor
    reason: str = Field(min_length=1, max_length=500)


def create_app(service: AlertsService) -> FastAPI:
    alerts = service.alerts
    app = FastAPI(title="povwatch alerts", version="1",
                  description="Help tasks for townships, their deadlines and actions; silences.")

    def act(task_id: UUID, action: str, **kwargs: object) -> TaskOut:
        try:
            task = alerts.act(task_id, action, **kwargs)
        except TaskError as e:
            status = 404 if str(e).startswith("no task") else 409
            raise HTTPException(status, str(e)) from None
        service.task_view.run_once()
        return task_doc(task)

    @app.get("/tasks", response_model=TaskPage, tags=["tasks"])
    def list_tasks(
        township: str | None = None,
        status: Literal["open", "acknowledged", "resolved", "dismissed"] | None = None,
        phase: Literal["open", "closed"] | None = None,
        overdue: bool = False,
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0),
    ) -> TaskPage:
        before = service.clock().date().isoformat() if overdue else None
        if overdue:
            phase = "open"
        page = service.tasks.search(limit=limit, offset=offset, before=before,
                                    township=township, status=status, phase=phase)
        return TaskPage(items=page.items, total=page.total, limit=limit, offset=offset)

    @app.get("/tasks/{task_id}", response_model=TaskOut, tags=["tasks"])
    def get_task(task_id: UUID) -> TaskOut:
        try:
            return task_doc(alerts.task(task_id))
        except TaskError as e:
            raise HTTPException(404, str(e)) from None

    @app.post("/tasks/{task_id}/acknowledge", response_model=TaskOut, tags=["tasks"])
    def acknowledge(task_id: UUID, body: Acknowledge) -> TaskOut:
        return act(task_id, "acknowledge", by=body.by)

    @app.post("/tasks/{task_id}/visits", response_model=TaskOut, tags=["tasks"])
    def visit(task_id: UUID, body: Visit) -> TaskOut:
        return act(task_id, "record_visit", by=body.by, visited_on=body.visited_on, note=body.note)

    @app.post("/tasks/{task_id}/measures", response_model=TaskOut, tags=["tasks"])
    def measure(task_id: UUID, body: MeasureGiven) -> TaskOut:
        return act(task_id, "record_measure", by=body.by, kind=body.kind, department=body.department)

    @app.post("/tasks/{task_id}/resolve", response_model=TaskOut, tags=["tasks"])
    def resolve(task_id: UUID, body: Resolve) -> TaskOut:
        return act(task_id, "resolve", by=body.by, outcome=body.outcome)

    @app.post("/tasks/{task_id}/dismiss", response_model=TaskOut, tags=["tasks"])
    def dismiss(task_id: UUID, body: Dismiss) -> TaskOut:
        return act(task_id, "dismiss", by=body.by, reason=body.reason)

    def silence_out(s, now: datetime) -> SilenceOut:
        return SilenceOut(**s.__dict__, active=s.active(now))

    @app.get("/silences", response_model=list[SilenceOut], tags=["silences"])
    def list_silences(active: bool | None = None) -> list[SilenceOut]:
        now = service.clock()
        out = [silence_out(s, now) for s in alerts.silences()]
        return [s for s in out if active is None or s.active == active]

    @app.post("/silences", response_model=SilenceOut, status_code=201, tags=["silences"])
    def create_silence(body: SilenceIn) -> SilenceOut:
        try:
            sid = alerts.silence(**body.model_dump())
        except TaskError as e:
            raise HTTPException(422, str(e)) from None
        return next(silence_out(s, service.clock()) for s in alerts.silences() if s.id == sid)

    @app.post("/silences/{silence_id}/end", response_model=SilenceOut, tags=["silences"])
    def end_silence(silence_id: str, body: EndSilence) -> SilenceOut:
        try:
            alerts.end_silence(silence_id, body.by, body.reason)
        except TaskError as e:
            raise HTTPException(404, str(e)) from None
        return next(silence_out(s, service.clock()) for s in alerts.silences() if s.id == silence_id)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz", tags=["health"])
    def readyz() -> dict[str, object]:
        try:
            position = service.triggers.position()
            stored = service.households.recorder.max_notification_id() or 0
        except Exception as e:
            raise HTTPException(503, f"store unreachable: {type(e).__name__}") from None
        if not kafka.reachable(service.settings):
            raise HTTPException(503, "Kafka broker unreachable")
        return {"status": "ready", "stored": stored, "evaluated": position}

    registry = service_registry(ReadModelCollector(service.collect_metrics))
    app.mount("/metrics", make_asgi_app(registry=registry))
    return app
