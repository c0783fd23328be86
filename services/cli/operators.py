"""Commands for operators: run the services, Kafka topics, keys, accounts,
silences and rebuilds."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from services.cli.common import alerts_store, app, configured, console, setup, until_signalled
from services.infra import kafka
from services.infra.settings import Settings

silences_app = typer.Typer(help="Silences: list, add and end.", no_args_is_help=True)
accounts_app = typer.Typer(
    help="Accounts and their tokens: issue, revoke, list.", no_args_is_help=True
)
app.add_typer(silences_app, name="silences")
app.add_typer(accounts_app, name="accounts")


@app.command("cipher-key")
def cipher_key() -> None:
    """Print a new key for encryption at rest (set it as POVWATCH_CIPHER_KEY)."""
    from eventsourcing.cipher import AESCipher

    print(AESCipher.create_key(num_bytes=32))


@app.command()
def topics() -> None:
    """Create the project's Kafka topics (idempotent)."""
    settings = Settings()
    kafka.ensure_topics(settings)
    console.print(f"topics ready on {settings.kafka_bootstrap}")


@app.command()
def monitor(http: bool = typer.Option(True, help="serve the HTTP API and /metrics")) -> None:
    """Run the monitor: ingest department events, keep risk statuses current."""
    from services.monitor.bootstrap import open_monitor

    settings = Settings()
    setup(settings)
    service = configured(lambda: open_monitor(settings, http=http))
    stop = until_signalled(service.reload_config)
    with service.start(schedule=True):
        if http:
            console.print(f"monitor API on http://127.0.0.1:{settings.monitor_port}/docs")
        while not stop.wait(1.0) and not service.stop_event.is_set():
            pass
    if service.stop_event.is_set() and not stop.is_set():
        raise typer.Exit(1)


@app.command()
def alerts(http: bool = typer.Option(True, help="serve the HTTP API and /metrics")) -> None:
    """Run the alerts service."""
    from services.alerts.service import AlertsService

    settings = Settings()
    setup(settings)
    service = configured(lambda: AlertsService(settings, http=http))
    stop = until_signalled(service.reload_config)
    with service.start(schedule=True):
        if http:
            console.print(f"alerts API on http://127.0.0.1:{settings.alerts_port}/docs")
        stop.wait()


@app.command()
def rebuild(
    workers: int | None = typer.Option(
        None, min=1, help="processes replaying the store [the cores on PostgreSQL, 1 on SQLite]"
    ),
) -> None:
    """Rebuild the risk status view from the event store."""
    from services.households.app import Households
    from services.households.statusview import open_view
    from services.infra.policyfile import load_policies
    from services.infra.runtime import tune_gc
    from services.monitor.riskstatus import RiskStatusProjection, rebuild_workers

    settings = Settings()
    tune_gc()
    projection = RiskStatusProjection(
        Households(env=settings.store_env("Monitor")), open_view(settings), load_policies(settings)
    )
    n_workers = workers or rebuild_workers(settings)
    with console.status(f"rebuilding the risk status view ({n_workers} process(es))"):
        n = projection.rebuild(workers=n_workers, settings=settings)
    console.print(f"rebuilt from {n} stored events")


@accounts_app.command("issue")
def accounts_issue(
    name: str = typer.Argument(..., help="the account, e.g. jinlong-wang (a person or a system)"),
    role: str = typer.Option(
        ...,
        help="staff, village, reviewer, approver, county, operator, publisher or metrics "
        "(a scraper: /metrics only)",
    ),
    township: str | None = typer.Option(
        None, help="township staff, reviewers and village staff: their township"
    ),
    village: str | None = typer.Option(None, help="village staff: their village"),
    source: str | None = typer.Option(None, help="publisher: the department code it speaks for"),
    by: str = typer.Option("admin", help="who issues it (recorded)"),
    token_file: Path | None = typer.Option(
        None, help="write the token to this file (mode 600) instead of printing it"
    ),
) -> None:
    """Issue a token (a new one replaces the account's old one). It is shown once
    and stored only as a hash."""
    from domain.access import AccessError, Role
    from services.infra.access import open_accounts

    try:
        role_ = Role(role)
    except ValueError:
        raise typer.BadParameter(f"{role!r}: one of {', '.join(r.value for r in Role)}") from None
    accounts = open_accounts(Settings())
    try:
        token = accounts.issue(name, role_, by, township=township, source=source, village=village)
    except AccessError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None
    finally:
        accounts.close()
    if token_file is not None:
        token_file.parent.mkdir(parents=True, exist_ok=True)
        token_file.touch(mode=0o600)
        token_file.write_text(token + "\n")
        console.print(f"token for {name} ({role}) written to {token_file}", highlight=False)
    else:
        print(token)


@accounts_app.command("revoke")
def accounts_revoke(
    name: str, by: str = typer.Option("admin", help="who revokes it (recorded)")
) -> None:
    """Revoke an account's token: it stops working at its next request."""
    from domain.access import AccessError
    from services.infra.access import open_accounts

    accounts = open_accounts(Settings())
    try:
        accounts.revoke(name, by)
    except AccessError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from None
    finally:
        accounts.close()
    console.print(f"{name}: revoked")


@accounts_app.command("list")
def accounts_list() -> None:
    """Accounts, their roles and whether they are active (tokens are never shown)."""
    from services.infra.access import open_accounts

    accounts = open_accounts(Settings())
    table = Table(title="Accounts")
    for col in ("name", "role", "township", "village", "source", "issued", "by", "revoked"):
        table.add_column(col)
    for a in accounts.list():
        table.add_row(
            a.name,
            a.role.value,
            a.township or "-",
            a.village or "-",
            a.source or "-",
            f"{a.issued_at:%Y-%m-%d %H:%M}",
            a.issued_by,
            f"{a.revoked_at:%Y-%m-%d %H:%M} by {a.revoked_by}" if a.revoked_at else "-",
        )
    accounts.close()
    console.print(table)


@silences_app.command("list")
def silences_list() -> None:
    """Every silence, active or not."""
    from domain.countyday import now as county_now

    with alerts_store() as alerts:
        now, silences = county_now(), alerts.silences()
    table = Table(title="Silences")
    for col in ("id", "scope", "reason", "by", "expires", "state"):
        table.add_column(col)
    for s in silences:
        scope = s.household_id or f"{s.township} / {s.factor or 'any factor'}"
        state = (
            "active" if s.active(now) else (f"ended by {s.ended_by}" if s.ended_at else "expired")
        )
        table.add_row(s.id, scope, s.reason, s.created_by, f"{s.expires_at:%Y-%m-%d %H:%M}", state)
    console.print(table)


@silences_app.command("add")
def silences_add(
    reason: str = typer.Option(...),
    by: str = typer.Option(...),
    days: float = typer.Option(7.0, help="expires after this many days"),
    household: str | None = None,
    township: str | None = None,
    factor: str | None = None,
    until_clear: bool = typer.Option(False, help="end by itself when the condition clears"),
) -> None:
    """Silence one household, or a township (and a factor). A refusal exits 1."""
    from datetime import timedelta

    from domain.countyday import now as county_now
    from domain.tasks import TaskError

    try:
        with alerts_store() as alerts:
            sid = alerts.silence(
                reason=reason,
                created_by=by,
                household_id=household,
                township=township,
                factor=factor,
                until_clear=until_clear,
                expires_at=county_now() + timedelta(days=days),
            )
    except TaskError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from None
    console.print(f"silence {sid} created")


@silences_app.command("end")
def silences_end(
    silence_id: str, by: str = typer.Option(...), reason: str = typer.Option(...)
) -> None:
    """End a silence."""
    from domain.tasks import TaskError

    try:
        with alerts_store() as alerts:
            alerts.end_silence(silence_id, by, reason)
    except TaskError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from None
    console.print(f"silence {silence_id} ended")
