"""The risk status read model: one row per household, written by the
monitor's projection, read by the alerts (households to re-assess), the
APIs and the CLI."""

from __future__ import annotations

from domain.report import change_code
from domain.standard import standard_bits
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
    sums=(
        "open_loans",
        "overdue_loans",
        "standard",
        "open_balance_fen",
        "overdue_balance_fen",
        "card_change",
    ),
    # The guarantees failing as bits (domain.standard.standard_bits): one
    # column, whose bits the county's picture counts by township in one
    # query (services/infra/viewreads.bits_by); its sum means nothing.
    derived={
        "standard": lambda doc: (
            standard_bits(doc.guarantees, doc.house_fix_overdue, doc.water_fix_overdue)
            if doc.guarantees or doc.house_fix_overdue or doc.water_fix_overdue
            else 0
        ),
        # The card's last change, when it made the household poor (返贫 or
        # 致贫), as its month and kind (domain.report.change_code): the
        # monthly report counts a month's by township in one query.
        "card_change": lambda doc: (
            change_code(doc.card_before, doc.card, doc.card_changed_on)
            if doc.card_changed_on is not None
            else 0
        ),
    },
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
