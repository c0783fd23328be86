"""A household's poverty micro-loans as the risk status counts them (plan
§3(2)8): open and overdue, by count and by balance."""

from __future__ import annotations

from typing import NamedTuple

from domain.facts import Loan


class Loans(NamedTuple):
    """A household's open and overdue loans, by count and by balance (fen)."""

    open: int
    overdue: int
    open_fen: int
    overdue_fen: int


NO_LOANS = Loans(0, 0, 0, 0)


def loan_balance_fen(loan: Loan) -> int:
    """An open loan's balance in fen: its principal less the repayments, or
    the bank's outstanding figure from its overdue report when that is lower
    or the issue record has not arrived (a principal of 0). Banks count an
    overdue loan's whole balance as overdue (逾期贷款余额)."""
    balance = loan.balance_yuan if loan.principal_yuan > 0 else None
    bank = loan.outstanding_yuan
    if bank is not None and (balance is None or bank < balance):
        balance = bank
    return int(balance * 100) if balance is not None and balance > 0 else 0
