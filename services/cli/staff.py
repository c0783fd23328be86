"""Commands for staff and the county office: households, their status and
history, and help tasks."""

from __future__ import annotations

from datetime import date, datetime

import typer
from rich.table import Table

from domain import countyday
from services.cli.common import alerts_store, app, console, print_statuses, tasks_view
from services.infra.settings import Settings

tasks_app = typer.Typer(help="Help tasks: list, show and work them.", no_args_is_help=True)
app.add_typer(tasks_app, name="tasks")


@app.command()
def status(
    household_id: str,
    as_of: datetime | None = typer.Option(
        None,
        "--as-of",
        formats=["%Y-%m-%d"],
        help="a day: what was known by its end (China time) beside what is known now",
    ),
) -> None:
    """Show one household's risk status with its factors."""
    from services.households.statusview import open_view

    if as_of is not None:
        from services.cli.asof import print_as_of

        print_as_of(household_id, as_of.date())
        return

    view = open_view(Settings())
    found = view.get(household_id)
    if found is None:
        console.print(f"[red]no household {household_id!r} in the risk status view[/red]")
        raise typer.Exit(1)
    print_statuses([found], detail=True)


@app.command()
def timeline(household_id: str) -> None:
    """Show a household's history in plain words, in the order things happened:
    the departments' facts and the procedure's steps on its cases."""
    from domain.timeline import timeline as build
    from services.cli.cases import case_steps
    from services.households.app import Households

    events = Households(env=Settings().store_env("Monitor")).history(household_id)
    if not events:
        console.print(f"[red]no household {household_id!r} in the store[/red]")
        raise typer.Exit(1)
    rows = [
        (countyday.day(e.occurred_at) if e.occurred_at else None, e.source or "-", e.text)
        for e in build(events)
    ]
    rows += case_steps(household_id)
    table = Table(title=f"Timeline of {household_id}")
    for col in ("when", "source", "what"):
        table.add_column(col)
    for when, source, text in sorted(rows, key=lambda r: (r[0] is not None, r[0] or "")):
        table.add_row(when.isoformat() if when else "-", source, text)
    console.print(table)


@app.command()
def households(
    township: str | None = None,
    village: str | None = None,
    card: str | None = None,
    level: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> None:
    """List households' risk statuses, filtered."""
    from services.households.statusview import open_view

    page = open_view(Settings()).search(
        limit=limit, offset=offset, township=township, village=village, card=card, level=level
    )
    print_statuses(page.items)
    console.print(f"{len(page.items)} of {page.total}")


def _task_id(value: str):
    from uuid import UUID

    try:
        return UUID(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a task id") from None


@tasks_app.command("list")
def tasks_list(
    township: str | None = None,
    status: str | None = typer.Option(None, help="open, acknowledged, resolved or dismissed"),
    overdue: bool = typer.Option(False, help="only open tasks past a deadline"),
    closed: bool = typer.Option(False, help="closed tasks instead of open ones"),
    kind: str | None = typer.Option(
        None, help="help, identify, review or plan (a monitoring object's new risk)"
    ),
    limit: int = 50,
    offset: int = 0,
) -> None:
    """Tasks, overdue first, then by due date."""
    from services.alerts.views import reaches

    with alerts_store() as alerts, tasks_view() as view:
        # What was recorded before the command, once the alerts process has
        # projected it; the command itself never writes the view.
        if not reaches(view, alerts.name, alerts.recorder.max_notification_id() or 0, 3.0):
            console.print(
                "[yellow]the tasks view lags the store: is the alerts process running?[/]"
            )
        before = countyday.today().isoformat() if overdue else None
        page = view.search(
            limit=limit,
            offset=offset,
            before=before,
            township=township,
            status=status,
            phase=None if status else ("closed" if closed else "open"),
            kind=kind,
        )
    table = Table(title="Help tasks")
    for col in (
        "task",
        "household",
        "township",
        "kind",
        "level",
        "status",
        "shown",
        "next due",
        "factors",
    ):
        table.add_column(col)
    for t in page.items:
        table.add_row(
            t.task_id,
            t.household_id,
            t.township or "-",
            t.kind,
            t.level,
            t.status,
            t.shown,
            str(t.next_due or "-"),
            ", ".join(f.code for f in t.factors),
        )
    console.print(table)
    console.print(f"{len(page.items)} of {page.total}")


@tasks_app.command("show")
def tasks_show(task_id: str) -> None:
    """One task with its factors, measures and history."""
    from domain.tasks import TaskError
    from services.alerts.views import task_doc

    try:
        with alerts_store() as alerts:
            t = task_doc(alerts.task(_task_id(task_id)))
    except TaskError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from None
    console.print(
        f"[bold]{t.title}[/bold]  {t.household_id} ({t.village}, {t.township}), "
        f"{t.card or 'unregistered'} card, level {t.level}, {t.status}, shown {t.shown}"
    )
    console.print(f"visit by {t.visit_due}, measures by {t.measures_due}; source: {t.source}")
    for f in t.factors:
        console.print(f"  - {f.reason}")
    console.print("suggested measures: " + ", ".join(t.suggested_measures))
    if t.kind == "plan":
        console.print(
            f"a task on the household's help plan (new: {', '.join(t.plan_factors)}): "
            f"see `povwatch cases record {t.household_id}`; it closes with the plan task"
        )
    for h in t.history:
        console.print(f"  {h.at:%Y-%m-%d %H:%M} {h.by}: {h.what} {h.detail}")


def _act(task_id: str, action: str, **kwargs) -> None:
    """Exits 2 for input the task's rules refuse, 1 for a state that does not
    allow the action."""
    from domain.tasks import TaskError, TaskInputError

    with alerts_store() as alerts:
        try:
            task = alerts.act(_task_id(task_id), action, **kwargs).task
        except TaskInputError as e:
            console.print(f"[red]{e}[/red]")
            raise typer.Exit(2) from None
        except TaskError as e:
            console.print(f"[red]{e}[/red]")
            raise typer.Exit(1) from None
    console.print(f"task {task.id}: {task.status} (version {task.version})")


@tasks_app.command("ack")
def tasks_ack(task_id: str, by: str = typer.Option(...)) -> None:
    """Acknowledge a task."""
    _act(task_id, "acknowledge", by=by)


@tasks_app.command("visit")
def tasks_visit(
    task_id: str,
    by: str = typer.Option(...),
    on: str = typer.Option(..., help="YYYY-MM-DD"),
    note: str = "",
) -> None:
    """Record a home visit."""
    try:
        day = date.fromisoformat(on)
    except ValueError:
        raise typer.BadParameter(f"{on!r} is not a date (YYYY-MM-DD)") from None
    _act(task_id, "record_visit", by=by, visited_on=day, note=note)


@tasks_app.command("measure")
def tasks_measure(
    task_id: str,
    by: str = typer.Option(...),
    kind: str = typer.Option(...),
    department: str = typer.Option(...),
) -> None:
    """Record a help measure given."""
    _act(task_id, "record_measure", by=by, kind=kind, department=department)


@tasks_app.command("resolve")
def tasks_resolve(
    task_id: str, by: str = typer.Option(...), outcome: str = typer.Option(...)
) -> None:
    """Resolve a task with its outcome."""
    _act(task_id, "resolve", by=by, outcome=outcome)


@tasks_app.command("dismiss")
def tasks_dismiss(
    task_id: str, by: str = typer.Option(...), reason: str = typer.Option(...)
) -> None:
    """Dismiss a task (a reason is required)."""
    _act(task_id, "dismiss", by=by, reason=reason)
