"""The plan page's forms for a monitoring object's plan tasks: one closed with
the reason no measure is needed, and the county's change of category."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from services.alerts.inbox.caseforms import text_of


def plan_task_pages(pages: APIRouter, h: Any) -> None:
    """``h``: the case pages' helper (the account, the sources, a change's answer)."""
    """A plan task closed with its reason; the county's change of category."""
    src = h.src

    def record_change(request: Request, household_id: str, form: Any, what: str, **kw: Any) -> Any:
        who = h.user(request)
        reason = text_of(form, "reason")
        if what == "close_plan_task":
            kw["reason"] = reason
        else:
            kw.update(category=text_of(form, "category"), reason=reason)
        return h.change(
            request, household_id, what,
            lambda: src.cases.plan(household_id, who, what, **kw),
        )  # fmt: skip

    @pages.post("/monitoring/{household_id}/tasks/{task_id}/close")
    async def close_plan_task(request: Request, household_id: str, task_id: str) -> Any:
        form = await request.form()
        return await run_in_threadpool(
            record_change, request, household_id, form, "close_plan_task", task_id=task_id
        )

    @pages.post("/monitoring/{household_id}/category")
    async def change_category(request: Request, household_id: str) -> Any:
        form = await request.form()
        return await run_in_threadpool(
            record_change, request, household_id, form, "change_category"
        )
