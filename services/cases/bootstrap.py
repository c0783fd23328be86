"""The intake of leads people bring, as the alerts process wires it: the
card links' signer, the declarations (cards, the household's page), the
sealed contacts and the public pages' limits, built from ``Settings``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from services.cases.app import Cases, Place
from services.cases.contacts import (
    ContactBook,
    PostgresContactView,
    SQLiteContactView,
)
from services.cases.declarations import Declarations
from services.households.statusview import RiskStatusView
from services.infra import views
from services.infra.keys import contact_key, deployment_key
from services.infra.links import LinkSigner, new_link_secret
from services.infra.ratelimit import Limiter, PublicLimits
from services.infra.settings import Settings


@dataclass
class Intake:
    declarations: Declarations
    contacts: ContactBook
    places: Callable[[], dict[str, list[str]]]
    limiter: Limiter
    form_secret: str


def registry_place(risk: RiskStatusView, household_id: str) -> Place | None:
    status = risk.get(household_id)
    if status is None or status.card is None:
        return None  # only registered households have cards
    return Place(status.household_id, status.township, status.village, status.card)


def registry_places(risk: RiskStatusView) -> dict[str, list[str]]:
    """Townships and their villages, as the registry knows them."""
    out: dict[str, list[str]] = {}
    for (township, village), _ in sorted(risk.counts("township", "village").items(), key=str):
        if township and village:
            out.setdefault(township, []).append(village)
    return out


def open_intake(
    settings: Settings, cases: Cases, risk: RiskStatusView, clock: Callable[[], datetime]
) -> Intake:
    production = settings.env == "production"
    secret = deployment_key(
        "POVWATCH_LINK_SECRET",
        settings.link_secret,
        settings.link_secret_file,
        settings.state_dir / "link-secret",
        new_link_secret,
        production,
    )
    signer = LinkSigner(secret.current, secret.previous)
    declarations = Declarations(
        cases, signer, lambda h: registry_place(risk, h), settings.public_url, clock
    )
    key = contact_key(settings)
    contact_view = settings.open_store(
        lambda: views.open_view(
            settings.store_env("Contacts"), "Contacts", SQLiteContactView, PostgresContactView
        ),
        "the contacts table",
    )
    return Intake(
        declarations,
        ContactBook(cases, contact_view, key.current, clock, key.previous),
        lambda: registry_places(risk),
        Limiter(PublicLimits.of(settings)),
        secret.current + ":forms",
    )
