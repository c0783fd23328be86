"""Exports for operators: a ledger (台账) as the same Excel workbook the
inbox and the API give, read from the alerts process's views."""

from __future__ import annotations

from pathlib import Path

import typer

from domain import countyday
from services.cli.cases import case_views, cases_store
from services.cli.common import app, console, tasks_view

KINDS_HELP = (
    "monitoring (monitoring objects), cases (open cases by stage and deadline), "
    "cleared (cleared households) or tasks (help tasks)"
)


@app.command("export")
def export(
    kind: str = typer.Argument(..., help=KINDS_HELP),
    township: str | None = typer.Option(None, help="one township's sheet [the whole county]"),
    out: Path = typer.Option(..., "--out", dir_okay=False, help="the .xlsx file to write"),
) -> None:
    """A ledger as an Excel workbook: a county sheet and one sheet per
    township, or one township's sheet; no personal details."""
    from services.alerts.views import reaches
    from services.cases.ledgerbook import Area, LedgerViews, file_name, write_ledger
    from services.cases.ledgers import KINDS
    from services.presentation.words import Words

    if kind not in KINDS:
        raise typer.BadParameter(f"{kind!r}: one of {', '.join(KINDS)}", param_hint="KIND")
    with cases_store() as cases, case_views() as (case_list, monitoring), tasks_view() as tasks:
        if not reaches(case_list, cases.name, cases.recorder.max_notification_id() or 0, 3.0):
            console.print(
                "[yellow]the cases view lags the store: is the alerts process running?[/]"
            )
        views = LedgerViews(case_list, monitoring, tasks, Words("zh").term)
        area, today = Area(township or None), countyday.today()
        rows = write_ledger(views, kind, area, today, out)  # type: ignore[arg-type]
    console.print(f"{file_name(kind, area, today)}: {rows:,} rows written to {out}")  # type: ignore[arg-type]
