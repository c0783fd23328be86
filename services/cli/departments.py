"""Commands for departments without Kafka: publish a file."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress

from services.cli.common import app, console
from services.infra import kafka
from services.infra.settings import Settings


@app.command()
def publish(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help=".jsonl, .csv or .xlsx"),
    source: str = typer.Option(..., help="department code, e.g. medical-insurance"),
    report: Path | None = typer.Option(None, help="rejection report (CSV) [FILE.rejections.csv]"),
    account: str | None = typer.Option(None, help="the department's publisher account"),
    token_file: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="its token: signs each message as the account's"
    ),
) -> None:
    """Validate a department's file and publish its valid rows to Kafka.
    Signed (--account, --token-file), a message the monitor dead-letters is
    filed under the account's department; unsigned, under the topic."""
    from services.infra.senders import signed
    from services.monitor.publisher import Ledger, publish_file, write_report
    from services.monitor.workbooks import WorkbookLimits

    if (account is None) != (token_file is None):
        console.print("[red]--account and --token-file go together[/red]")
        raise typer.Exit(2)
    token = token_file.read_text().strip() if token_file else None

    def send(k: bytes, v: bytes):
        headers = signed(account, token, v) if account and token else None
        return producer.send(settings.events_topic, key=k, value=v, headers=headers)

    settings = Settings()
    kafka.ensure_topics(settings)
    producer = kafka.producer(settings)
    ledger = Ledger(settings.state_dir / "publish-ledger.db")
    try:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"publishing {file.name}", total=None)
            result = publish_file(
                file,
                source,
                send=send,
                flush=producer.flush,
                ledger=ledger,
                progress=lambda n: progress.update(task, completed=n),
                workbook=WorkbookLimits.of(settings),
            )
    except ValueError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None
    finally:
        producer.close()
        ledger.close()
    out = report or file.with_name(file.name + ".rejections.csv")
    write_report(result, out)
    console.print(
        f"published {result.published}, already published {result.already}, "
        f"rejected {result.rejected_rows} row(s); report: {out}"
    )
    if result.rejected:
        raise typer.Exit(1)
