"""The procedure's HTTP API: cases and their stage actions, the village
notice, monitoring records and help plans, the county's overview.

Bodies give types; what a step may say, who may take it and when is the
domain's rule (domain/cases.py, domain/monitoring.py): 422 names the field,
403 the role or area, 409 the case's state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any, Literal
from uuid import UUID

from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel

from domain import countyday
from domain.access import Permission, Principal, Role
from domain.case_input import DeclineReason
from domain.procedure import CaseKind, Category, ClearanceKind, Stage
from domain.vocabulary import FactorCode, Measure
from schemas.cases import CaseOut, CasePage, MonitoringOut, NoticeOut
from services.cases.announcement import ANNOUNCED, Announced, announced
from services.cases.app import Cases
from services.cases.jobs import every
from services.cases.overview import Overview, overview
from services.cases.planroutes import plan_task_routes
from services.cases.printer import Printer
from services.cases.translate import translated
from services.cases.views import (
    CaseView,
    MonitoringView,
    case_doc,
    case_for,
    monitoring_doc,
    notice_doc,
    record_for,
    visible_case,
)
from services.infra.access import allowed, require_area, scoped_township, scoped_village
from services.infra.views import MAX_OFFSET


class Verify(BaseModel):
    visited_on: date
    members: int
    labour_capable: int
    income_estimate_yuan: int
    hardship: list[FactorCode] = []
    consent: bool
    note: str = ""
    food_met: bool | None = None  # 不愁吃 as the visit found it
    clothing_met: bool | None = None  # 不愁穿


class Authorisation(BaseModel):
    signed: bool
    signed_on: date | None = None
    signer: Literal["head", "member", "proxy"] = "head"
    kept_at: str = ""
    reason: str = ""


class CrossCheck(BaseModel):
    matches: bool
    differences: str = ""


class VillageReview(BaseModel):
    held_on: date
    attendees: int
    agreed: bool
    category: Category | None = None
    note: str = ""


class NoticeIn(BaseModel):
    starts_on: date
    days: int | None = None  # the procedure's minimum unless longer


class Objection(BaseModel):
    received_on: date
    text: str


class CloseNotice(BaseModel):
    handling: str = ""


class TownshipReview(BaseModel):
    approve: bool
    reason: str = ""
    return_to: Stage | None = None


class Decision(BaseModel):
    approve: bool
    reason: str = ""
    category: Category | None = None
    # Declining an identification: the category of the reason, the household's to see.
    reason_category: DeclineReason | None = None


class MeasureIn(BaseModel):
    kind: Measure
    department: str
    due_on: date
    note: str = ""
    answers: FactorCode | None = None  # the risk factor it answers (a plan task's)


class MeasureChange(BaseModel):
    state: Literal["planned", "in_progress", "done", "cancelled"]
    note: str = ""


class ClearanceIn(BaseModel):
    reason: str
    kind: ClearanceKind = "helped"  # 帮扶消除; "natural": 自然消除


def acting_stages(who: Principal, cases: Cases) -> list[str] | None:
    """The stages an account acts at (its work list); None: every stage."""
    if who.role is Role.COUNTY:
        return None
    p = cases.procedure
    stages = [s for s in p.stages if who.role.value in p.roles(s)]
    if who.role.value in p.consent.roles and "crosscheck" not in stages:
        stages.insert(1, "crosscheck")  # the household's authorisation, before the check
    return stages  # type: ignore[return-value]


def case_routes(
    app: FastAPI,
    cases: Cases,
    view: CaseView,
    monitoring: MonitoringView,
    clock: Callable[[], datetime],
    current: Callable[..., Principal],
    printer: Printer,
) -> None:
    reader = allowed(current, Permission.READ_CASES)
    actor = allowed(current, Permission.ACT_ON_CASES)

    @app.get("/cases", response_model=CasePage, tags=["cases"])
    def list_cases(
        township: str | None = None,
        village: str | None = None,
        stage: Stage | None = None,
        phase: Literal["open", "closed"] | None = "open",
        mine: bool = Query(False, description="only the stages the account acts at"),
        overdue: bool = False,
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
        who: Principal = Depends(reader),
    ) -> CasePage:
        township, village = scoped_township(who, township), scoped_village(who, village)
        stages: Any = stage
        if mine and stage is None:
            stages = acting_stages(who, cases)
        before = countyday.day(clock()).isoformat() if overdue else None
        page = view.search(
            limit=limit, offset=offset, before=before, township=township, village=village,
            stage=stages, phase="open" if overdue else phase,
        )  # fmt: skip
        items = [case_for(who, c) for c in page.items]
        return CasePage(items=items, total=page.total, limit=limit, offset=offset)

    @app.get("/cases/overview", response_model=Overview, tags=["cases"])
    def case_overview(who: Principal = Depends(reader)) -> Overview:
        if not who.countywide:
            raise HTTPException(403, "the county's overview is the county's")
        return overview(view, monitoring, countyday.day(clock()))

    @app.get("/cases/{case_id}", response_model=CaseOut, tags=["cases"])
    def get_case(case_id: UUID, who: Principal = Depends(reader)) -> CaseOut:
        return visible_case(cases, case_id, who)

    @app.get("/cases/{case_id}/notice", response_model=NoticeOut, tags=["cases"])
    def get_notice(case_id: UUID, who: Principal = Depends(reader)) -> NoticeOut:
        case = visible_case(cases, case_id, who)
        return translated(lambda: notice_doc(case))

    @app.get("/cases/{case_id}/notice.pdf", tags=["cases"], response_class=Response)
    def get_notice_pdf(case_id: UUID, who: Principal = Depends(reader)) -> Response:
        notice = translated(lambda: notice_doc(visible_case(cases, case_id, who)))
        return pdf_response(printer.notice(notice), f"notice-{case_id}.pdf")

    @app.get("/cases/{case_id}/authorisation.pdf", tags=["cases"], response_class=Response)
    def get_authorisation_pdf(case_id: UUID, who: Principal = Depends(reader)) -> Response:
        case = visible_case(cases, case_id, who)
        return pdf_response(printer.authorisation(case), f"authorisation-{case_id}.pdf")

    @app.get("/announcements.pdf", tags=["cases"], response_class=Response)
    def get_announcement(
        township: str = Query(max_length=100, pattern=PLACE),
        village: str = Query(max_length=100, pattern=PLACE),
        kind: CaseKind = "identification",
        first: date | None = Query(None, alias="from", description="default: the month's first"),
        last: date | None = Query(None, alias="to", description="default: today"),
        who: Principal = Depends(reader),
    ) -> Response:
        """The results announcement (结果公告) of a village's decisions."""
        today = countyday.day(clock())
        township = scoped_township(who, township) or township
        village = scoped_village(who, village) or village
        rows = village_results(view, township, village, kind, first, last, today)
        data = printer.announcement(township, village, kind, rows, today)
        return pdf_response(data, f"announcement-{kind}-{today.isoformat()}.pdf")

    stage_routes(app, cases, actor)
    monitoring_routes(app, cases, monitoring, reader, actor)


# A place named on a printed page: Chinese, Latin letters, digits, a few
# marks (what a township's or village's name holds, in glyphs the font has).
PLACE = r"^[A-Za-z0-9\u4e00-\u9fff·（）() -]+$"


def pdf_response(data: bytes, name: str) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


def village_results(
    view: CaseView,
    township: str,
    village: str,
    kind: str,
    first: date | None,
    last: date | None,
    today: date,
) -> list[Announced]:
    """A village's approved decisions of ``kind`` from ``first`` (the month's
    first day) to ``last`` (today)."""
    first, last = first or today.replace(day=1), last or today
    status = ANNOUNCED[kind]
    closed = every(view, township=township, village=village, kind=kind, status=status)
    return announced(closed, kind, first, last)


def stage_routes(app: FastAPI, cases: Cases, actor: Callable[..., Principal]) -> None:
    def act(case_id: UUID, who: Principal, action: str, **kwargs: Any) -> CaseOut:
        visible_case(cases, case_id, who)
        done = translated(lambda: cases.act(case_id, action, who, **kwargs))
        return case_for(who, case_doc(done.case))

    @app.post("/cases/{case_id}/verification", response_model=CaseOut, tags=["cases"])
    def verify(case_id: UUID, body: Verify, who: Principal = Depends(actor)) -> CaseOut:
        return act(case_id, who, "verify", **body.model_dump())

    @app.post("/cases/{case_id}/authorisation", response_model=CaseOut, tags=["cases"])
    def authorise(case_id: UUID, body: Authorisation, who: Principal = Depends(actor)) -> CaseOut:
        return act(case_id, who, "authorise", **body.model_dump())

    @app.post("/cases/{case_id}/help-first", response_model=CaseOut, tags=["cases"])
    def help_first(case_id: UUID, body: MeasureIn, who: Principal = Depends(actor)) -> CaseOut:
        """绿色通道 (先帮后认): help for sudden severe hardship before the decision."""
        return act(case_id, who, "help_first", **body.model_dump(exclude={"answers"}))

    @app.post("/cases/{case_id}/crosscheck", response_model=CaseOut, tags=["cases"])
    def cross_check(case_id: UUID, body: CrossCheck, who: Principal = Depends(actor)) -> CaseOut:
        return act(case_id, who, "cross_check", **body.model_dump())

    @app.post("/cases/{case_id}/village-review", response_model=CaseOut, tags=["cases"])
    def village_review(
        case_id: UUID, body: VillageReview, who: Principal = Depends(actor)
    ) -> CaseOut:
        return act(case_id, who, "village_review", **body.model_dump())

    @app.post("/cases/{case_id}/notice", response_model=CaseOut, tags=["cases"])
    def post_notice(case_id: UUID, body: NoticeIn, who: Principal = Depends(actor)) -> CaseOut:
        days = body.days or cases.procedure.notice.min_days
        return act(case_id, who, "post_notice", starts_on=body.starts_on, days=days)

    @app.post("/cases/{case_id}/objections", response_model=CaseOut, tags=["cases"])
    def objection(case_id: UUID, body: Objection, who: Principal = Depends(actor)) -> CaseOut:
        return act(case_id, who, "record_objection", **body.model_dump())

    @app.post("/cases/{case_id}/notice/close", response_model=CaseOut, tags=["cases"])
    def close_notice(case_id: UUID, body: CloseNotice, who: Principal = Depends(actor)) -> CaseOut:
        return act(case_id, who, "close_notice", **body.model_dump())

    @app.post("/cases/{case_id}/township-review", response_model=CaseOut, tags=["cases"])
    def township_review(
        case_id: UUID, body: TownshipReview, who: Principal = Depends(actor)
    ) -> CaseOut:
        return act(case_id, who, "township_review", **body.model_dump())

    @app.post("/cases/{case_id}/decision", response_model=CaseOut, tags=["cases"])
    def decide(case_id: UUID, body: Decision, who: Principal = Depends(actor)) -> CaseOut:
        return act(case_id, who, "decide", **body.model_dump())


def monitoring_routes(
    app: FastAPI,
    cases: Cases,
    monitoring: MonitoringView,
    reader: Callable[..., Principal],
    actor: Callable[..., Principal],
) -> None:
    T: list[str | Enum] = ["monitoring"]

    def visible_record(household_id: str, who: Principal) -> MonitoringOut:
        doc = monitoring.get(household_id)
        record = cases.record(household_id)
        found = record is not None
        require_area(
            who, found, record and record.township, record and record.village,
            f"no monitoring record for {household_id}",
        )  # fmt: skip
        assert record is not None
        if doc is None or doc.version < record.version:
            doc = monitoring_doc(record)
        return record_for(who, doc)

    @app.get("/monitoring", tags=["monitoring"])
    def list_monitoring(
        township: str | None = None,
        village: str | None = None,
        status: Literal["none", "monitored", "cleared"] | None = "monitored",
        category: Category | None = None,
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
        who: Principal = Depends(reader),
    ) -> dict[str, Any]:
        township, village = scoped_township(who, township), scoped_village(who, village)
        page = monitoring.search(
            limit=limit, offset=offset, township=township, village=village, status=status,
            category=category,
        )  # fmt: skip
        items = [record_for(who, r) for r in page.items]
        return {"items": items, "total": page.total, "limit": limit, "offset": offset}

    @app.get("/monitoring/{household_id}", response_model=MonitoringOut, tags=["monitoring"])
    def get_record(household_id: str, who: Principal = Depends(reader)) -> MonitoringOut:
        return visible_record(household_id, who)

    @app.post("/monitoring/{household_id}/plan", response_model=MonitoringOut, tags=["monitoring"])
    def add_measure(
        household_id: str, body: MeasureIn, who: Principal = Depends(actor)
    ) -> MonitoringOut:
        visible_record(household_id, who)
        translated(lambda: cases.plan(household_id, who, "add_measure", **body.model_dump()))
        return visible_record(household_id, who)

    @app.post("/monitoring/{household_id}/plan/{measure_id}", response_model=MonitoringOut, tags=T)
    def update_measure(
        household_id: str, measure_id: str, body: MeasureChange, who: Principal = Depends(actor)
    ) -> MonitoringOut:
        visible_record(household_id, who)
        translated(
            lambda: cases.plan(
                household_id, who, "update_measure", measure_id=measure_id, **body.model_dump()
            )
        )
        return visible_record(household_id, who)

    plan_task_routes(app, cases, actor, visible_record)

    @app.post(
        "/monitoring/{household_id}/clearance", response_model=CaseOut, status_code=201, tags=T
    )
    def propose_clearance(
        household_id: str, body: ClearanceIn, who: Principal = Depends(actor)
    ) -> CaseOut:
        visible_record(household_id, who)
        case = translated(
            lambda: cases.propose_clearance(household_id, who, body.reason, body.kind)
        )
        return case_for(who, case_doc(case))
