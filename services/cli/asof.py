"""`povwatch status HOUSEHOLD --as-of DATE`: a household as known on a day
beside what is known now about that day."""

from __future__ import annotations

from datetime import date

import typer
from rich.table import Table

from services.cli.common import console, print_statuses
from services.infra.settings import Settings


def print_as_of(household_id: str, on: date) -> None:
    from domain.asof import AsOfError
    from domain.countyday import day
    from services.households.app import Households
    from services.households.asof import as_of_out, household_as_of
    from services.infra.policyfile import load_policies

    settings = Settings()
    households = Households(env=settings.store_env("Monitor"))
    try:
        found = household_as_of(households, load_policies(settings), household_id, on)
    except AsOfError as e:
        console.print(f"[red]--as-of: {e}[/red]")
        raise typer.Exit(2) from None
    finally:
        households.close()
    if found is None:
        console.print(f"[red]no household {household_id!r} in the store[/red]")
        raise typer.Exit(1)
    seen = as_of_out(found)
    policy = seen.policy_from.isoformat() if seen.policy_from else "-"
    console.print(f"{household_id} as of {on} (the policy in force from {policy})")
    for title, status in (
        ("known then (facts recorded by the end of the day, China time)", seen.known_then),
        ("known now about that day (including facts recorded later)", seen.known_now),
    ):
        console.print(f"[bold]{title}[/bold]")
        if status is None:
            console.print("  nothing known")
        else:
            print_statuses([status], detail=True)
    table = Table(title=f"Facts that happened by {on}")
    for col in ("when", "source", "what", "recorded"):
        table.add_column(col)
    for e in seen.timeline:
        recorded = day(e.recorded_at).isoformat() + (" LATE" if e.late else "")
        when = day(e.occurred_at).isoformat() if e.occurred_at else "-"
        table.add_row(when, e.source or "-", e.text, recorded)
    console.print(table)
    console.print(f"{seen.late_facts} fact(s) arrived after the day")
