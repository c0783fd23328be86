"""The monitor's HTTP API: households' risk statuses and timelines."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUploadFile

from domain.access import Permission, Principal, Role
from domain.asof import AsOfError
from domain.policy import PolicyBook
from domain.timeline import timeline
from domain.vocabulary import Card, Level
from schemas.asof import AsOfEntryOut, AsOfOut, AsOfPage
from schemas.status import RiskStatusOut, StandardPicture, StatusPage, TimelineEntryOut
from services.households.app import Households
from services.households.asof import as_of_out, household_as_of, page_as_of
from services.households.standard import standard_picture
from services.households.statusview import RiskStatusView
from services.infra import apidocs, metrics
from services.infra.access import Accounts, allowed, require_visible, scoped_township, signed_in
from services.infra.bodylimit import KIB, MIB, BodyLimit, BodyLimits
from services.infra.settings import Settings
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
        "Overdue share of open poverty micro-loans by count (the plan requires below 1%, §3(2)8)",
        [],
        [([], overdue / open_loans if open_loans else 0.0)],
    )
    # By balance, as banks compute it: overdue loans' balance over all open
    # loans' balance (a view filled before the balances were kept reads 0).
    balance, late = totals.get("open_balance_fen", 0), totals.get("overdue_balance_fen", 0)
    yield metrics.gauge(
        "povwatch_loan_overdue_balance_ratio",
        "Overdue share of open poverty micro-loans' balance (the plan requires below 1%, §3(2)8)",
        [],
        [([], late / balance if balance else 0.0)],
    )
    yield from standard_gauges(standard_picture(view))
    position = view.max_tracking_id(households.name) or 0
    stored = households.recorder.max_notification_id() or 0
    yield metrics.projection_lag({"risk_status": max(stored - position, 0)})


def standard_gauges(picture: StandardPicture):
    yield metrics.gauge(
        "povwatch_guarantee_failing_households",
        "Registered and marginal households failing a guarantee of the standard, by township "
        "(plan §3(1))",
        ["guarantee", "township"],
        (([g, r.township or ""], n) for r in picture.rows for g, n in r.failing.items()),
    )
    yield metrics.gauge(
        "povwatch_houses_unsafe_past_deadline",
        "Houses rated C or D past their fix-by day (plan §3(2)3: the end of June), by township",
        ["township"],
        (([r.township or ""], r.houses_past_deadline) for r in picture.rows),
    )
    yield metrics.gauge(
        "povwatch_water_unsafe_past_deadline",
        "Households whose drinking water fails the standard past its fix-by day "
        "(plan §3(2)5: the end of June), by township",
        ["township"],
        (([r.township or ""], r.water_past_deadline) for r in picture.rows),
    )


def create_app(
    households: Households,
    view: RiskStatusView,
    accounts: Accounts,
    broker_ok: Callable[[], bool] | None = None,
    uploads: Uploads | None = None,
    *,
    policies: Callable[[], PolicyBook],
    settings: Settings | None = None,
) -> FastAPI:
    """``policies``: the book in force, the projection's own (the service
    passes it, so the API and the projection never read two files)."""
    settings = settings or (uploads.settings if uploads else Settings())
    app = FastAPI(
        title="povwatch monitor",
        version="1",
        description="Households' risk statuses, kept current from department events. "
        "Every endpoint but /healthz and /readyz needs a token (Authorization: Bearer); township "
        "staff see their own township only.",
        **apidocs.CLOSED,
    )
    # Every body is limited before a route reads it; a department's file is larger.
    limits = BodyLimits(settings.form_max_kb * KIB, (("/uploads", settings.upload_max_mb * MIB),))
    app.add_middleware(BodyLimit, limits=limits)
    current = signed_in(accounts)
    app.include_router(
        household_routes(households, view, allowed(current, Permission.READ_HOUSEHOLDS), policies)
    )
    app.include_router(standard_routes(view, allowed(current, Permission.READ_HOUSEHOLDS)))
    app.include_router(upload_routes(uploads, allowed(current, Permission.PUBLISH)))
    app.include_router(health_routes(households, view, broker_ok))
    registry = metrics.service_registry(
        metrics.ReadModelCollector(lambda: collect(households, view))
    )
    metrics.mount(app, registry, allowed(current, Permission.SCRAPE_METRICS))
    apidocs.mount(app, allowed(current, Permission.READ_API_SPEC))
    return app


AS_OF = Query(
    None,
    description="a day (YYYY-MM-DD, China time): what was known by its end beside what is "
    "known now about it",
)


def _refused(e: AsOfError) -> HTTPException:
    return HTTPException(422, [{"loc": ["query", e.field], "msg": str(e), "type": "as_of"}])


def as_of_page(
    households: Households,
    view: RiskStatusView,
    policies: PolicyBook,
    township: str | None,
    village: str | None,
    card: Card | None,
    level: Level | None,
    limit: int,
    offset: int,
    on: date,
) -> AsOfPage:
    if township is None:
        raise HTTPException(
            422,
            [{"loc": ["query", "township"], "msg": "as_of needs a township", "type": "as_of"}],
        )
    for name, value in (("card", card), ("level", level)):
        if value is not None:
            msg = f"{name} filters today's statuses: not with as_of"
            raise HTTPException(422, [{"loc": ["query", name], "msg": msg, "type": "as_of"}])
    page = view.search(limit=limit, offset=offset, township=township, village=village)
    codes = [s.household_id for s in page.items]
    try:
        found = page_as_of(households, policies, codes, on)
    except AsOfError as e:
        raise _refused(e) from None
    items = [as_of_out(found[c], with_timeline=False) for c in codes if c in found]
    return AsOfPage(as_of=on, items=items, total=page.total, limit=limit, offset=offset)


def standard_routes(view: RiskStatusView, reader: Callable[..., Principal]) -> APIRouter:
    router = APIRouter(tags=["households"])

    @router.get("/standard", response_model=StandardPicture)
    def the_standard(
        township: str | None = None, who: Principal = Depends(reader)
    ) -> StandardPicture:
        """Per township, the households failing each of the standard's
        guarantees (plan §3(1): income, education, medical cover, housing,
        water, and the safety net) and the C or D houses past their fix-by
        day; staff see their own township."""
        return standard_picture(view, scoped_township(who, township))

    return router


def household_routes(
    households: Households,
    view: RiskStatusView,
    reader: Callable[..., Principal],
    policies: Callable[[], PolicyBook],
) -> APIRouter:
    router = APIRouter(tags=["households"])

    def seen(household_id: str, on: date) -> AsOfOut:
        try:
            found = household_as_of(households, policies(), household_id, on)
        except AsOfError as e:
            raise _refused(e) from None
        if found is None:
            raise HTTPException(404, f"no household {household_id!r}")
        return as_of_out(found)

    def visible(household_id: str, who: Principal) -> RiskStatusOut:
        status = view.get(household_id)
        require_visible(
            who, status is not None, status and status.township, f"no household {household_id!r}"
        )
        return status

    @router.get("/households", response_model=StatusPage | AsOfPage)
    def list_households(
        township: str | None = None,
        village: str | None = None,
        card: Card | None = None,
        level: Level | None = None,
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
        as_of: date | None = AS_OF,
        who: Principal = Depends(reader),
    ) -> StatusPage | AsOfPage:
        """With ``as_of``: one township's households (``township``, or the
        staff's own), in household order, each assessed as of that day for
        this page only; ``card`` and ``level`` filter today's statuses, so
        they are refused beside it."""
        township = scoped_township(who, township)
        if as_of is not None:
            return as_of_page(
                households, view, policies(), township, village, card, level, limit, offset, as_of
            )
        page = view.search(
            limit=limit, offset=offset, township=township, village=village, card=card, level=level
        )
        return StatusPage(items=page.items, total=page.total, limit=limit, offset=offset)

    @router.get("/households/{household_id}", response_model=RiskStatusOut | AsOfOut)
    def household_status(
        household_id: str, as_of: date | None = AS_OF, who: Principal = Depends(reader)
    ) -> RiskStatusOut | AsOfOut:
        if as_of is None:
            return visible(household_id, who)
        if who.role is not Role.COUNTY:  # as the timeline: the county sees unregistered ones
            visible(household_id, who)
        return seen(household_id, as_of)

    @router.get(
        "/households/{household_id}/timeline",
        response_model=list[TimelineEntryOut] | list[AsOfEntryOut],
    )
    def household_timeline(
        household_id: str, as_of: date | None = AS_OF, who: Principal = Depends(reader)
    ) -> list[TimelineEntryOut] | list[AsOfEntryOut]:
        """With ``as_of``: the facts that happened by that day's end, each
        with when it was recorded and whether that was after the day (late)."""
        if who.role is not Role.COUNTY:
            visible(household_id, who)
        if as_of is not None:
            return seen(household_id, as_of).timeline
        events = households.history(household_id)
        if not events:
            raise HTTPException(404, f"no household {household_id!r}")
        return [TimelineEntryOut.model_validate(e) for e in timeline(events)]

    return router


# The form's one file, described here: the route reads the form itself, after the token.
UPLOAD_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


def upload_routes(uploads: Uploads | None, publisher: Callable[..., Principal]) -> APIRouter:
    router = APIRouter(tags=["departments"])

    @router.post("/uploads", response_model=UploadReport, openapi_extra=UPLOAD_FORM)
    async def upload(request: Request, who: Principal = Depends(publisher)) -> UploadReport:
        """A department's JSONL, CSV or XLSX file (the form's field ``file``),
        published as the department the token speaks for; rows that fail
        validation are reported, not sent. The token is checked before the
        body is read."""
        if uploads is None:
            raise HTTPException(503, "uploads are not served by this process")
        assert who.source is not None  # a publisher always speaks for a department
        async with request.form(max_files=1, max_fields=1) as form:
            file = form.get("file")
            if not isinstance(file, StarletteUploadFile):
                raise HTTPException(422, "send the file as the form's field 'file'")
            try:
                report = await run_in_threadpool(
                    uploads.publish, file.filename or "", file.file, who.source, who.name
                )
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
