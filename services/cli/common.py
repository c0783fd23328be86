"""What every povwatch command shares: the app, the console, signals, start-up."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from schemas.status import RiskStatusOut
from services.infra.settings import Settings

if TYPE_CHECKING:
    from domain.access import Permission, Principal

app = typer.Typer(
    help="povwatch: early warning against falling back into poverty", no_args_is_help=True
)


@app.callback()
def _county_clock() -> None:
    """Every command reads and decides on the county's clock (POVWATCH_COUNTY_ZONE)."""
    from domain import countyday

    countyday.use(Settings().county_zone)


# Wide enough for the status table when output goes to a file or a CI log.
console = Console(width=None if sys.stdout.isatty() else 160)

LEVEL_STYLE = {
    "none": "green",
    "watch": "yellow",
    "high": "bold red",
    "critical": "bold white on red",
}


def setup(settings: Settings) -> None:
    from services.infra.logs import setup
    from services.infra.runtime import tune_gc, tune_malloc

    setup(settings.log_level)
    tune_gc()
    tune_malloc()


def until_signalled(reload=None) -> threading.Event:
    """An event set by Ctrl-C or SIGTERM; SIGHUP calls ``reload``."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    if reload is not None:
        signal.signal(signal.SIGHUP, lambda *_: reload())
    return stop


def configured(make):
    """Builds a service; a bad rules, policy, procedure or feeds file, or a
    store the settings misname, stops it with its reason."""
    from domain.feeds import FeedError
    from domain.policy import PolicyError
    from services.infra.keys import KeyMissing
    from services.infra.procedurefile import ProcedureError
    from services.infra.rulefile import RulesError
    from services.infra.storecheck import StoreMisconfigured

    try:
        return make()
    except (RulesError, PolicyError, ProcedureError, FeedError, KeyMissing) as e:
        console.print(f"[red]configuration refused:[/red]\n{e}")
        raise typer.Exit(2) from None
    except StoreMisconfigured as e:
        typer.echo(f"povwatch: {e}", err=True)  # one line, for a supervisor's log
        raise typer.Exit(2) from None


def print_statuses(statuses: list[RiskStatusOut], detail: bool = False) -> None:
    table = Table(title=f"Risk status on {statuses[0].evaluated_on}" if statuses else "Risk status")
    for col in (
        "household",
        "township",
        "village",
        "card",
        "per-capita income",
        "level",
        "factors",
    ):
        table.add_column(col)
    for s in statuses:
        table.add_row(
            s.household_id,
            s.township or "-",
            s.village or "-",
            s.card or "unregistered",
            str(s.per_capita_income_yuan) if s.per_capita_income_yuan is not None else "-",
            f"[{LEVEL_STYLE[s.level]}]{s.level}[/]",
            "\n".join(f.reason if detail else f.code for f in s.factors) or "-",
        )
    console.print(table)


@contextmanager
def alerts_store() -> Iterator:
    """The alerts store (its rules and policy loaded), closed afterwards; a
    command acts on it without starting the alerts process's work."""
    from services.alerts.bootstrap import open_alerts

    alerts = configured(lambda: open_alerts(Settings()))
    try:
        yield alerts
    finally:
        alerts.close()


@contextmanager
def tasks_view() -> Iterator:
    """The tasks view (written by the alerts process), closed afterwards."""
    from services.alerts.bootstrap import open_task_view

    view = configured(lambda: open_task_view(Settings()))
    try:
        yield view
    finally:
        view.datastore.close()


def signed_in(settings: Settings, token_file: Path, permission: Permission) -> Principal:
    """The account whose token ``token_file`` holds, if its role grants
    ``permission``; otherwise the command stops (exit 3) before it reads
    anything else. For commands whose output is one office's alone."""
    from services.infra.access import open_accounts

    try:
        token = token_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as e:
        console.print(f"[red]{token_file}: cannot read the token ({type(e).__name__})[/red]")
        raise typer.Exit(3) from None
    accounts = open_accounts(settings)
    try:
        who = accounts.authenticate(token)
    finally:
        accounts.close()
    if who is None:
        console.print("[red]refused: unknown, expired or revoked token[/red]")
        raise typer.Exit(3)
    if not who.may(permission):
        console.print(
            f"[red]refused: the {who.role.value} role may not {permission.value}[/red]",
            highlight=False,
        )
        raise typer.Exit(3)
    return who
