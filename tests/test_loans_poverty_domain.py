"""The overdue ratios (by balance, as banks compute it, and by count), a
loan's balance, and which card changes are 返贫 or 致贫: pure domain."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.facts import Loan
from domain.loans import loan_balance_fen
from domain.report import (
    NEWLY_POOR,
    RETURNED,
    change_code,
    change_codes,
    overdue_ratio,
    poverty_change,
)


def test_a_loans_balance_is_principal_less_repaid_or_the_banks_lower_figure():
    loan = Loan(Decimal("8000"), date(2026, 3, 1), date(2025, 3, 1), Decimal("1000"))
    assert loan_balance_fen(loan) == 700000
    loan.outstanding_yuan = Decimal("3000.50")
    assert loan_balance_fen(loan) == 300050
    unknown = Loan(Decimal(0), date(2026, 3, 1), date(2026, 3, 1), outstanding_yuan=Decimal("50"))
    assert loan_balance_fen(unknown) == 5000


def test_the_ratio_by_balance_differs_from_the_ratio_by_count():
    # One small loan overdue of two: half by count, a tenth by balance.
    assert overdue_ratio(2, 1) == Decimal("0.5000")
    assert overdue_ratio(1000000, 100000) == Decimal("0.1000")
    assert overdue_ratio(0, 0) is None


def test_which_card_changes_are_returned_or_newly_poor():
    assert poverty_change("yellow", "red") == RETURNED
    assert poverty_change("green", "red") == RETURNED
    assert poverty_change("blue", "red") == NEWLY_POOR
    assert poverty_change(None, "red") == NEWLY_POOR
    assert poverty_change("green", "yellow") is None
    assert poverty_change("red", "red") is None
    codes = change_codes("2026-06")
    assert codes[change_code("green", "red", date(2026, 6, 30))] == RETURNED
    assert codes[change_code(None, "red", date(2026, 6, 1))] == NEWLY_POOR
    assert change_code("green", "red", date(2026, 7, 1)) not in codes
    assert change_code("green", "yellow", date(2026, 6, 5)) == 0
