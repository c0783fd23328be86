"""The monitor's HTTP API: households' risk statuses and timelines."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, UploadFile
from pydantic import BaseModel

from domain.access import Permission, Principal, Role
from domain.timeline import timeline
from domain.vocabulary import Card, Level
from schemas.status import RiskStatusOut, StatusPage, TimelineEntryOut
from services.households.app import Households
from services.households.statusview import RiskStatusView
from services.infra import metrics
from services.infra.access import Accounts, allowed, require_visible, scoped_township, signed_in
from services.infra.views import MAX_OFFSET
from services.monitor.uploads import Uploads


class Rejected(BaseModel):
    row: int
    field: str
    reason: str


class UploadReport(BaseModel):
    published: int
    already_published: int
    rejected_rows: int
    rejected: list[Rejected]


def collect(households: Households, view: RiskStatusView):
    """Gauges from the risk status view, read at scrape time."""
    counts = view.counts("card", "level")
    yield metrics.gauge(
        "povwatch_households",
        "Households by card and risk level",
        ["card", "level"],
        (([card or "unregistered", level], n) for (card, level), n in counts.items()),
    )
    totals = view.totals()
    open_loans, overdue = totals.get("open_loans", 0), totals.get("overdue_loans", 0)
    yield metrics.gauge("povwatch_loans_open", "Open poverty micro-loans", [], [([], open_loans)])
    yield metrics.gauge(
        "povwatch_loans_overdue", "Overdue poverty micro-loans", [], [([], overdue)]
    )
    yield metrics.gauge(
        "povwatch_loan_overdue_ratio",
        "Overdue share of open poverty micro-loans (the plan requires below 1%, §3(2)8)",
        [],
        [([], overdue / open_loans if open_loans else 0.0)],
    )
    position = view.max_tracking_id(households.name) or 0
    stored = households.recorder.max_notification_id() or 0
    yield metrics.projection_lag({"risk_status": max(stored - position, 0)})


def create_app(
    households: Households,
    view: RiskStatusView,
    accounts: Accounts,
    broker_ok: Callable[[], bool] | None = None,
    uploads: Uploads | None = None,
) -> FastAPI:
    app = FastAPI(
        title="povwatch monitor",
        version="1",
        description="Households' risk statuses, kept current from department events. "
        "Every endpoint but /healthz and /readyz needs a token (Authorization: Bearer); township "
        "staff see their own township only.",
    )
    current = signed_in(accounts)
    app.include_router(
        household_routes(households, view, allowed(current, Permission.READ_HOUSEHOLDS))
    )
    app.include_router(upload_routes(uploads, allowed(current, Permission.PUBLISH)))
    app.include_router(health_routes(households, view, broker_ok))
    registry = metrics.service_registry(
        metrics.ReadModelCollector(lambda: collect(households, view))
    )
    metrics.mount(app, registry, allowed(current, Permission.READ_OPERATIONS))
    return app


def household_routes(
    households: Households, view: RiskStatusView, reader: Callable[..., Principal]
) -> APIRouter:
    router = APIRouter(tags=["households"])

    def visible(household_id: str, who: Principal) -> RiskStatusOut:
        status = view.get(household_id)
        require_visible(
            who, status is not None, status and status.township, f"no household {household_id!r}"
        )
        return status

    @router.get("/households", response_model=StatusPage)
    def list_households(
        township: str | None = None,
        village: str | None = None,
        card: Card | None = None,
        level: Level | None = None,
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
        who: Principal = Depends(reader),
    ) -> StatusPage:
        township = scoped_township(who, township)
        page = view.search(
            limit=limit, offset=offset, township=township, village=village, card=card, level=level
        )
        return StatusPage(items=page.items, total=page.total, limit=limit, offset=offset)

    @router.get("/households/{household_id}", response_model=RiskStatusOut)
    def household_status(household_id: str, who: Principal = Depends(reader)) -> RiskStatusOut:
        return visible(household_id, who)

    @router.get("/households/{household_id}/timeline", response_model=list[TimelineEntryOut])
    def household_timeline(
        household_id: str, who: Principal = Depends(reader)
    ) -> list[TimelineEntryOut]:
        if who.role is not Role.COUNTY:
            visible(household_id, who)
        events = households.history(household_id)
        if not events:
            raise HTTPException(404, f"no household {household_id!r}")
        return [TimelineEntryOut.model_validate(e) for e in timeline(events)]

    return router


def upload_routes(uploads: Uploads | None, publisher: Callable[..., Principal]) -> APIRouter:
    router = APIRouter(tags=["departments"])

    @router.post("/uploads", response_model=UploadReport)
    def upload(file: UploadFile, who: Principal = Depends(publisher)) -> UploadReport:
        """A department's JSONL, CSV or XLSX file, published as the department
        the token speaks for; rows that fail validation are reported, not sent."""
        if uploads is None:
            raise HTTPException(503, "uploads are not served by this process")
        assert who.source is not None  # a publisher always speaks for a department
        try:
            report = uploads.publish(file.filename or "", file.file.read(), who.source)
        except ValueError as e:
            raise HTTPException(422, str(e)) from None
        return UploadReport(
            published=report.published,
            already_published=report.already,
            rejected_rows=report.rejected_rows,
            rejected=[Rejected(row=r, field=f, reason=m) for r, f, m in report.rejected],
        )

    return router


def health_routes(
    households: Households, view: RiskStatusView, broker_ok: Callable[[], bool] | None
) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @router.get("/readyz")
    def readyz() -> dict[str, object]:
        # Open to probes (no token): it says ready or not, and why not; no figures.
        try:
            view.max_tracking_id(households.name)
            households.recorder.max_notification_id()
        except Exception as e:  # the store is unreachable
            raise HTTPException(503, f"store unreachable: {type(e).__name__}") from None
        if broker_ok is not None and not broker_ok():
            raise HTTPException(503, "Kafka broker unreachable or ingestion paused")
        return {"status": "ready"}

    return router
