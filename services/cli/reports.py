"""The monthly report (月报) for operators and the county office: print a
month's stored figures, write its PDF or JSON, or compute a month again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from services.cli.common import app, configured, console
from services.infra.settings import Settings


@contextmanager
def report_job() -> Iterator[Any]:
    """The report's job over the views the alerts process writes (opened
    here, closed afterwards); nothing of the alerts process is started."""
    from domain.countyday import now as county_now
    from services.alerts.bootstrap import open_case_views
    from services.households.statusview import open_view
    from services.presentation.words import Words
    from services.reports.bootstrap import open_report_job

    settings = Settings()
    risk = settings.open_store(lambda: open_view(settings), "the risk status view")
    case_list, monitoring = configured(lambda: open_case_views(settings))
    words = Words("zh")
    from services.feeds.health import feed_health

    def feed(month: str):  # type: ignore[no-untyped-def]
        return feed_health(settings, month, risk=risk)

    job = open_report_job(
        settings, risk, case_list, monitoring, county_now, words.term, words, feed
    )
    try:
        yield job, settings
    finally:
        for v in (risk, case_list, monitoring, job.view):
            v.datastore.close()


@app.command("report")
def report(
    month: str = typer.Option(..., help="the month, YYYY-MM"),
    out: Path | None = typer.Option(None, help="write the report's PDF here"),
    json_out: Path | None = typer.Option(None, "--json", help="write its figures (JSON) here"),
    recompute: bool = typer.Option(
        False, help="compute the month's figures again now and store them (replaces the stored)"
    ),
) -> None:
    """A month's report: the stored figures (computed by the daily job), or
    computed again with --recompute; a month never computed is computed."""
    from domain.task_input import TaskInputError
    from services.reports.api import summary
    from services.reports.bootstrap import report_pdf_of

    with report_job() as (job, settings):
        try:
            found = None if recompute else job.report(month)
        except TaskInputError as e:
            raise typer.BadParameter(e.message, param_hint="--month") from None
        if found is None:
            found = job.recompute(month)
            console.print(f"computed {month} in {found.compute_seconds:.1f} s")
        if out is not None:
            out.write_bytes(report_pdf_of(settings)(found))
            console.print(f"wrote {out}")
        if json_out is not None:
            json_out.write_text(summary(found).model_dump_json(indent=2))
            console.print(f"wrote {json_out}")
    state = "final" if found.final else "month so far"
    console.print(
        f"[bold]{month}[/bold]: as of {found.as_of} ({state}), computed {found.computed_at}"
    )
    for section in found.sections:
        for t in section.tables:
            table = Table(title=t.title)
            for c in t.columns:
                table.add_column(c)
            for row in t.rows:
                table.add_row(*("-" if c is None else str(c) for c in row))
            console.print(table)
