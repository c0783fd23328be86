"""The risk status read model: one row per household."""

from __future__ import annotations

from schemas.status import RiskStatusOut
from services.infra.views import PostgresDocumentView, SQLiteDocumentView, Table

RISK_STATUS = Table(
    name="risk_status",
    key="household_id",
    columns=("township", "village", "card", "level"),
    model=RiskStatusOut,
    order="household_id",
    sums=("open_loans", "overdue_loans"),
)


class SQLiteRiskStatusView(SQLiteDocumentView[RiskStatusOut]):
    table = RISK_STATUS


class PostgresRiskStatusView(PostgresDocumentView[RiskStatusOut]):
    table = RISK_STATUS


RiskStatusView = SQLiteDocumentView[RiskStatusOut] | PostgresDocumentView[RiskStatusOut]
