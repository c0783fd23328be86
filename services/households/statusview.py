"""The risk status read model: one row per household, written by the
monitor's projection, read by the alerts (households to re-assess), the
APIs and the CLI."""

from __future__ import annotations

from domain.standard import GUARANTEES
from schemas.status import RiskStatusOut
from services.infra import views
from services.infra.settings import Settings
from services.infra.views import PostgresDocumentView, SQLiteDocumentView, Table

RISK_STATUS = Table(
    name="risk_status",
    key="household_id",
    columns=("township", "village", "card", "level"),
    model=RiskStatusOut,
    order="household_id",
    sums=("open_loans", "overdue_loans", *(f"fails_{g}" for g in GUARANTEES), "house_fix_overdue"),
    # Per guarantee, 1 when the household fails it: the county's picture sums
    # them by township in one query (services/infra/viewreads.totals_by).
    derived={f"fails_{g}": (lambda doc, g=g: g in doc.guarantees) for g in GUARANTEES},
)


class SQLiteRiskStatusView(SQLiteDocumentView[RiskStatusOut]):
    table = RISK_STATUS


class PostgresRiskStatusView(PostgresDocumentView[RiskStatusOut]):
    table = RISK_STATUS


RiskStatusView = SQLiteDocumentView[RiskStatusOut] | PostgresDocumentView[RiskStatusOut]


def open_view(settings: Settings, create: bool = True) -> RiskStatusView:
    env = settings.store_env("RiskStatus")
    if not create:  # the table exists (parallel rebuild workers): no DDL racing
        env["CREATE_TABLE"] = "false"
    return views.open_view(env, "RiskStatus", SQLiteRiskStatusView, PostgresRiskStatusView)
