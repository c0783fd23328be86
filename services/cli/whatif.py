"""What-if for the county office: a proposed policy (and rules) beside the
ones in force, over every household, read only. The command asks for the
office's token, as the inbox's page does: whoever runs the services is not
the office (domain.access: ``ASSESS_POLICY``)."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from services.cli.common import app, configured, console, signed_in
from services.infra.settings import Settings


def _when(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r}: a date as YYYY-MM-DD") from None


@app.command()
def whatif(
    policy: Path = typer.Option(
        ..., exists=True, dir_okay=False, help="the proposed policy (TOML)"
    ),
    rules: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="proposed rules (YAML) [the rules in force]"
    ),
    on: str = typer.Option(..., help="the date every household is assessed on (YYYY-MM-DD)"),
    out: Path | None = typer.Option(None, help="write the households that change here (.xlsx)"),
    workers: int | None = typer.Option(None, min=1, help="processes reading the store [the cores]"),
    token_file: Path = typer.Option(
        ...,
        envvar="POVWATCH_TOKEN_FILE",
        help="a file holding the county office's token (accounts issue --token-file)",
    ),
) -> None:
    """Every household under the policy and rules in force and under proposed
    ones, side by side, per township: level changes, leads, the factors
    driving them. The county office's only: another role's token exits 3.
    Reads the store only; a refused file exits 2."""
    from domain.access import Permission
    from domain.whatif import Regime
    from services.infra.policyfile import load_policies
    from services.infra.rulefile import load_rules
    from services.whatif.files import FileRefused, read_policy, read_rules
    from services.whatif.run import run

    settings, day = Settings(), _when(on)
    signed_in(settings, token_file, Permission.ASSESS_POLICY)
    current = configured(lambda: Regime(load_policies(settings), load_rules(settings.rules_file)))
    try:
        proposed = Regime(
            read_policy(policy.read_text(encoding="utf-8"), str(policy)),
            read_rules(rules.read_text(encoding="utf-8"), str(rules)) if rules else current.rules,
        )
        proposed.policies.in_force(day)
    except FileRefused as e:
        console.print(f"[red]{e.kind} file refused:[/red]\n{e}", highlight=False)
        raise typer.Exit(2) from None
    except ValueError as e:  # no proposed policy in force on the day
        console.print(f"[red]{policy}: {e}[/red]", highlight=False)
        raise typer.Exit(2) from None
    outcome = _with_progress(
        lambda progress: run(settings, current, proposed, day, workers, progress)
    )
    _print(outcome)
    if out is not None:
        from services.whatif.workbook import write_changes

        write_changes(outcome.changes, outcome.summary, out)
        console.print(f"{len(outcome.changes):,} households that change written to {out}")


def _with_progress(call):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    with Progress(
        TextColumn("assessing"),
        BarColumn(),
        TextColumn("{task.completed:,.0f} / {task.fields[total_text]} households"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task("whatif", total=None, total_text="?", rate="")

        def progress(done: int, total: int | None) -> None:
            rate = done / max(time.monotonic() - started, 1e-6)
            bar.update(
                task,
                completed=done,
                total=total,
                total_text=f"{total:,}" if total else "?",
                rate=f"{rate:,.0f}/s",
            )

        return call(progress)


def _print(outcome) -> None:  # type: ignore[no-untyped-def]
    from services.presentation.words import Words
    from services.whatif.workbook import NOT_PLACED

    w = Words("zh")
    table = Table(title=f"What-if on {outcome.on} ({outcome.households:,} households)")
    for col in ("township", "households", "changed", "level moves", "leads now", "proposed", "new"):
        table.add_column(col)
    for township, t in [*outcome.summary.rows(), ("total", outcome.summary.total())]:
        table.add_row(
            township or NOT_PLACED,
            f"{t.households:,}",
            f"{t.changed:,}",
            "\n".join(f"{a} -> {b}: {n:,}" for a, b, n in t.ordered_moves()) or "-",
            f"{t.leads_current:,}",
            f"{t.leads_proposed:,}",
            f"{t.new_leads:,}",
        )
    console.print(table)
    drivers = Table(title="Factors driving the changes")
    for col in ("factor", "", "households gaining it", "losing it"):
        drivers.add_column(col)
    for code, up, down in outcome.summary.total().drivers():
        drivers.add_row(code, w.term("factor", code), f"{up:,}", f"{down:,}")
    console.print(drivers)
    rate = outcome.events / outcome.seconds if outcome.seconds else 0.0
    console.print(
        f"{outcome.events:,} events of {outcome.households:,} households in "
        f"{outcome.seconds:.1f} s ({rate:,.0f} events/s, {outcome.workers} process(es))",
        highlight=False,
    )
