"""Household cards (明白卡) for the county office and operators: issue a
village's cards (the earlier links stop working) and print them as a PDF,
one household a page."""

from __future__ import annotations

from pathlib import Path

import typer

from services.cli.common import app, configured, console
from services.infra.settings import Settings

cards_app = typer.Typer(help="Household cards with the declaration QR code.", no_args_is_help=True)
app.add_typer(cards_app, name="cards")


def _open():  # type: ignore[no-untyped-def]
    from services.alerts.bootstrap import open_cases
    from services.cases.bootstrap import open_intake
    from services.households.statusview import open_view

    settings = Settings()
    cases = configured(lambda: open_cases(settings))
    risk = configured(lambda: open_view(settings))
    return settings, cases, risk, open_intake(settings, cases, risk, cases.clock)


@cards_app.command("issue")
def issue(
    township: str = typer.Option(..., help="the village's township"),
    village: str = typer.Option(..., help="the village whose cards are printed again"),
    by: str = typer.Option("operator", help="who issues them (recorded)"),
) -> None:
    """A new issue of a village's cards: links printed before stop working."""
    _, cases, _, intake = _open()
    try:
        number = intake.declarations.issue(township, village, by)
    finally:
        cases.close()
    console.print(f"{township} {village}: cards issue {number}; earlier cards' links revoked")


@cards_app.command("print")
def print_cards(
    township: str = typer.Option(...),
    village: str = typer.Option(...),
    out: Path = typer.Option(..., help="the PDF to write"),
    household: list[str] = typer.Option([], help="only these households (default: the village)"),
    size: str = typer.Option("A5", help="A5 or A4"),
) -> None:
    """The village's cards (or some households') as one PDF, one a page."""
    from services.cases.cards import cards_pdf
    from services.presentation.fonts import FontMissing, find_font

    if size not in ("A5", "A4"):
        raise typer.BadParameter("A5 or A4", param_hint="--size")
    settings, cases, risk, intake = _open()
    try:
        ids = household or [
            s.household_id
            for s in risk.search(limit=5000, township=township, village=village).items
            if s.card is not None
        ]
        if not ids:
            console.print(f"[red]no registered households in {township} {village}[/red]")
            raise typer.Exit(1)
        if intake.declarations.current_issue(township, village) == 0:
            intake.declarations.issue(township, village, "operator")
        faces = intake.declarations.faces(ids, township, village)
        out.write_bytes(cards_pdf(faces, find_font(settings.pdf_font), size))  # type: ignore[arg-type]
    except FontMissing as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from None
    finally:
        cases.close()
    console.print(f"{len(ids)} cards written to {out}")
