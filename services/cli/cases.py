"""Commands on the monitoring procedure for operators and the county office:
cases, their notices, monitoring records, and the procedure's jobs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from domain import countyday
from services.cli.common import app, configured, console
from services.infra.settings import Settings

cases_app = typer.Typer(
    help="The monitoring procedure: cases, notices, monitoring records.", no_args_is_help=True
)
app.add_typer(cases_app, name="cases")

STAGES = "verify, crosscheck, village_review, notice, township_review or county_decision"


@contextmanager
def cases_store() -> Iterator[Any]:
    from services.alerts.bootstrap import open_cases

    cases = configured(lambda: open_cases(Settings()))
    try:
        yield cases
    finally:
        cases.close()


@contextmanager
def case_views() -> Iterator[Any]:
    from services.alerts.bootstrap import open_case_views

    case_list, monitoring = open_case_views(Settings())
    try:
        yield case_list, monitoring
    finally:
        case_list.datastore.close()
        monitoring.datastore.close()


def _case(cases: Any, value: str) -> Any:
    from uuid import UUID

    from domain.task_input import TaskError
    from services.cases.views import case_doc

    try:
        return case_doc(cases.case(UUID(value)))
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a case id") from None
    except TaskError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from None


@cases_app.command("list")
def cases_list(
    township: str | None = None,
    village: str | None = None,
    stage: str | None = typer.Option(None, help=STAGES),
    overdue: bool = typer.Option(False, help="only cases whose stage is past its deadline"),
    closed: bool = typer.Option(False, help="decided cases instead of open ones"),
    limit: int = 50,
    offset: int = 0,
) -> None:
    """Cases, the earliest stage deadline first."""
    from services.alerts.views import reaches

    with cases_store() as cases, case_views() as (view, _):
        if not reaches(view, cases.name, cases.recorder.max_notification_id() or 0, 3.0):
            console.print(
                "[yellow]the cases view lags the store: is the alerts process running?[/]"
            )
        page = view.search(
            limit=limit,
            offset=offset,
            before=countyday.today().isoformat() if overdue else None,
            township=township,
            village=village,
            stage=stage,
            phase="closed" if closed else "open",
        )
    table = Table(title="Cases")
    for col in ("case", "household", "township", "village", "kind", "stage", "due", "shown"):
        table.add_column(col)
    for c in page.items:
        due = f"{c.stage_due}{' (Mon-Fri)' if c.due_assumed else ''}" if c.stage_due else "-"
        table.add_row(
            c.case_id, c.household_id, c.township or "-", c.village or "-", c.kind,
            c.stage or c.status, due, c.shown,
        )  # fmt: skip
    console.print(table)
    console.print(f"{len(page.items)} of {page.total}")


@cases_app.command("show")
def cases_show(case_id: str) -> None:
    """One case: its stage and deadline, leads, records and history."""
    with cases_store() as cases:
        c = _case(cases, case_id)
    where = f"{c.village or '-'}, {c.township or '-'}"
    console.print(
        f"[bold]{c.kind}[/bold] case {c.number} of {c.household_id} ({where}): "
        f"{c.stage or c.status}, stage due {c.stage_due or '-'}, decision due {c.decision_due}, "
        f"shown {c.shown}"
    )
    if c.due_assumed:
        console.print("[yellow]the deadline counts Monday to Friday: no schedule for its year[/]")
    table = Table(title="History")
    for col in ("when", "who", "role", "stage", "what", "detail"):
        table.add_column(col)
    for h in c.history:
        table.add_row(
            f"{h.at:%Y-%m-%d %H:%M}", h.by, h.role or "-", h.stage or "-", h.what, h.detail
        )
    console.print(table)


@cases_app.command("notice")
def cases_notice(
    case_id: str, pdf: Path = typer.Option(..., help="write the printable notice (A4 PDF) here")
) -> None:
    """The village notice of a case whose notice is posted, as the PDF the village prints."""
    from domain.task_input import TaskError
    from services.alerts.bootstrap import configuration
    from services.cases.notice import notice_pdf, printed
    from services.cases.views import notice_doc
    from services.households.names import open_names
    from services.households.statusview import open_view
    from services.presentation.fonts import FontMissing, find_font

    settings = Settings()
    with cases_store() as cases:
        c = _case(cases, case_id)
    names, risk = open_names(settings), open_view(settings)
    try:
        rule = configuration(settings)[2].notice
        shown = printed(notice_doc(c), names, risk, rule)
        data = notice_pdf(shown, find_font(settings.pdf_font))
    except (TaskError, FontMissing) as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from None
    finally:
        names.close()
        risk.datastore.close()
    pdf.write_bytes(data)
    console.print(f"notice of {c.household_id} written to {pdf} ({len(data)} bytes)")


@cases_app.command("record")
def cases_record(household_id: str) -> None:
    """A household's monitoring record: category, periods and help plan."""
    from services.cases.views import monitoring_doc

    with cases_store() as cases:
        record = cases.record(household_id)
        if record is None:
            console.print(f"[red]no monitoring record for {household_id!r}[/red]")
            raise typer.Exit(1)
        r = monitoring_doc(record)
    console.print(
        f"[bold]{r.household_id}[/bold] ({r.village or '-'}, {r.township or '-'}): {r.status}"
        f"{f', {r.category}' if r.category else ''}, since {r.monitored_since or '-'}, "
        f"cleared {r.cleared_on or '-'}, {r.cases_opened} case(s)"
    )
    for c in r.category_changes:
        console.print(
            f"{c['on']} county decision: {c['from']} -> {c['to']} ({c['by']}): {c['reason']}"
        )
    table = Table(title="Help plan")
    for col in ("measure", "kind", "answers", "department", "due", "state", "note"):
        table.add_column(col)
    for m in r.plan:
        table.add_row(m.id, m.kind, m.answers or "-", m.department, str(m.due_on), m.state, m.note)
    console.print(table)
    if r.plan_tasks:
        tasks = Table(title="Plan tasks (new risks)")
        for col in ("task", "new factors", "township", "due", "state", "answered by / reason"):
            tasks.add_column(col)
        for t in r.plan_tasks:
            answer = ", ".join(t.answered.values()) if t.state == "done" else t.reason
            tasks.add_row(
                t.task_id, ", ".join(t.factors), t.township or "-", str(t.due_on), t.state, answer
            )
        console.print(tasks)


def case_steps(household_id: str) -> list[tuple[Any, str, str]]:
    """The procedure's steps on a household's cases, as timeline rows (date,
    who and role, what)."""
    from domain.cases import Case

    rows: list[tuple[Any, str, str]] = []
    with cases_store() as cases:
        record = cases.record(household_id)
        for n in range(1, (record.cases_opened if record else 0) + 1):
            case = cases.case(Case.create_id(household_id, n))
            for h in case.history:
                who = f"{h['by']} ({h['role']})" if h["role"] else h["by"]
                stage = f" [{h['stage']}]" if h["stage"] else ""
                detail = f": {h['detail']}" if h["detail"] else ""
                rows.append(
                    (
                        countyday.day(h["at"]),
                        who,
                        f"{case.kind} case {n}{stage} {h['what']}{detail}",
                    )
                )
    return rows
