"""Heads of households' names, sealed: the registry's ``head_name`` is taken
out of the registration before the event is stored, encrypted with the
deployment's contact key (the eventsourcing library's AES cipher) and kept in
this table alone. So a name is never in an event, a task or case message, a
log, a list or an export; the village notice and the announcement of
decisions (where neighbours must know whom they concern) unseal it, and so
may the household's own township staff.

The table is written before the batch's events are committed, and a
registration redelivered after a crash writes the same name again, so a
stored registration never lacks its head's name.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

from eventsourcing.cipher import AESCipher
from eventsourcing.utils import Environment
from pydantic import BaseModel

from services.households.app import Fact
from services.infra.links import local_secret
from services.infra.settings import Settings
from services.infra.views import PostgresDocumentView, SQLiteDocumentView, Table, open_view


def take_names(facts: Iterable[Fact]) -> dict[str, tuple[str, str]]:
    """Takes each registration's head's name out of its fact (so that the
    stream never holds it): household id -> (township, name), for the ones given."""
    found: dict[str, tuple[str, str]] = {}
    for fact in facts:
        if fact.kind == "household.registered":
            name = fact.data.pop("head_name", None)
            if name:
                found[fact.household_id] = (fact.data["township"], name)
    return found


class SealedName(BaseModel):
    household_id: str
    township: str
    sealed: str  # base64 of the ciphertext


NAMES = Table(
    name="head_names",
    key="household_id",
    columns=("township",),
    model=SealedName,
    order="household_id",
)


class SQLiteNameView(SQLiteDocumentView[SealedName]):
    table = NAMES


class PostgresNameView(PostgresDocumentView[SealedName]):
    table = NAMES


class HeadNames:
    """The sealed names of the registry's heads of households."""

    def __init__(self, view: SQLiteNameView | PostgresNameView, key: str) -> None:
        self.view = view
        self._cipher = AESCipher(Environment(env={"CIPHER_KEY": key}))

    def keep(self, names: dict[str, tuple[str, str]]) -> None:
        """Seals and keeps each household's head's name (the latest wins)."""
        if names:
            self.view.save(
                [
                    SealedName(
                        household_id=h,
                        township=township,
                        sealed=base64.b64encode(self._cipher.encrypt(n.encode())).decode(),
                    )
                    for h, (township, n) in names.items()
                ],
                None,
            )

    def name(self, household_id: str) -> str | None:
        found = self.view.get(household_id)
        if found is None:
            return None
        return self._cipher.decrypt(base64.b64decode(found.sealed)).decode()

    def close(self) -> None:
        self.view.datastore.close()


def open_names(settings: Settings) -> HeadNames:
    """The table on the households' store, under the contact key (the same
    key every process of the deployment is given, or the state directory's)."""
    key = local_secret(
        settings.contact_key.get_secret_value() if settings.contact_key else None,
        settings.state_dir / "contact-key",
        lambda: AESCipher.create_key(32),
    )
    view = settings.open_store(
        lambda: open_view(settings.store_env("Names"), "Names", SQLiteNameView, PostgresNameView),
        "the heads' names table",
    )
    return HeadNames(view, key)
