"""The API of a monitoring object's plan tasks: one closed with the reason no
measure is needed, and the county's change of category (on the record, with
no case and no notice). The commands check their own input."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, FastAPI
from pydantic import BaseModel

from domain.access import Principal
from domain.procedure import Category
from schemas.cases import MonitoringOut
from services.cases.app import Cases
from services.cases.translate import translated


class PlanTaskClose(BaseModel):
    reason: str  # why the new risk needs no measure


class CategoryChange(BaseModel):
    category: Category
    reason: str


def plan_task_routes(
    app: FastAPI,
    cases: Cases,
    actor: Callable[..., Principal],
    visible_record: Callable[[str, Principal], MonitoringOut],
) -> None:
    """A plan task closed with its reason; the county's change of category."""

    @app.post(
        "/monitoring/{household_id}/tasks/{task_id}/close",
        response_model=MonitoringOut,
        tags=["monitoring"],
    )
    def close_plan_task(
        household_id: str, task_id: str, body: PlanTaskClose, who: Principal = Depends(actor)
    ) -> MonitoringOut:
        """A plan task closed with the reason no measure is needed."""
        visible_record(household_id, who)
        translated(
            lambda: cases.plan(
                household_id, who, "close_plan_task", task_id=task_id, reason=body.reason
            )
        )
        return visible_record(household_id, who)

    @app.post(
        "/monitoring/{household_id}/category", response_model=MonitoringOut, tags=["monitoring"]
    )
    def change_category(
        household_id: str, body: CategoryChange, who: Principal = Depends(actor)
    ) -> MonitoringOut:
        """The county's decision to change a monitoring object's category: on
        the record, with no case and no notice."""
        visible_record(household_id, who)
        translated(lambda: cases.plan(household_id, who, "change_category", **body.model_dump()))
        return visible_record(household_id, who)
