"""The deployment's keys for operators: new ones, and resealing the
contacts and heads' names under a new contact key (docs/operations.md, "Rotating the keys")."""

from __future__ import annotations

import typer

from services.cli.common import app, configured, console
from services.infra.settings import Settings

keys_app = typer.Typer(
    help="The link secret and the contact key: make new ones, rotate.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")


@keys_app.command("new-link-secret")
def new_link_secret() -> None:
    """Print a new link secret (for POVWATCH_LINK_SECRET_FILE)."""
    from services.infra.links import new_link_secret

    print(new_link_secret())


@keys_app.command("new-contact-key")
def new_contact_key() -> None:
    """Print a new contact key (for POVWATCH_CONTACT_KEY_FILE)."""
    from services.cases.contacts import new_key

    print(new_key())


@keys_app.command("make")
def make() -> None:
    """Make the files POVWATCH_LINK_SECRET_FILE and POVWATCH_CONTACT_KEY_FILE
    name where they are missing (readable by this user only); files that
    exist are kept as they are."""
    from services.cases.contacts import new_key
    from services.infra.keys import made_once
    from services.infra.links import new_link_secret

    settings = Settings()
    for setting, path, new in (
        ("POVWATCH_LINK_SECRET_FILE", settings.link_secret_file, new_link_secret),
        ("POVWATCH_CONTACT_KEY_FILE", settings.contact_key_file, new_key),
    ):
        if path is None:
            console.print(f"[red]{setting} is not set[/red]")
            raise typer.Exit(2)
        existed = path.exists()
        made_once(path, new)
        console.print(f"{setting}: {path} ({'kept' if existed else 'made'})", highlight=False)


@keys_app.command("reseal")
def reseal() -> None:
    """Seal again with the current contact key (the first configured) every
    contact and head of household's name an earlier one (the others)
    sealed. Afterwards the earlier keys can be removed from the configuration."""
    from domain.task_input import TaskError
    from services.alerts.bootstrap import open_cases
    from services.cases.bootstrap import open_intake
    from services.households.names import open_names
    from services.households.statusview import open_view
    from services.infra.keys import Unreadable

    settings = Settings()
    cases = configured(lambda: open_cases(settings))
    names = configured(lambda: open_names(settings))
    try:
        risk = configured(lambda: open_view(settings))
        intake = configured(lambda: open_intake(settings, cases, risk, cases.clock))
        contacts, heads = intake.contacts.reseal(), names.reseal()
    except (TaskError, Unreadable) as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from None
    finally:
        cases.close()
        names.close()
    console.print(
        f"sealed again with the current key: {contacts} contact(s), {heads} name(s)",
        highlight=False,
    )
