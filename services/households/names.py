"""Heads of households' names, sealed: the registry's ``head_name`` is taken
out of the registration before the event is stored, encrypted with the
deployment's contact key (the eventsourcing library's AES cipher) and kept in
this table alone. So a name is never in an event, a task or case message, a
log, a list or an export; the village notice and the announcement of
decisions (where neighbours must know whom they concern) unseal it, and so
does one household's own page for its own township's staff (``shown``).

The table is written before the batch's events are committed, and a
registration redelivered after a crash writes the same name again, so a
stored registration never lacks its head's name.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel

from domain.access import Principal, Role
from services.households.app import Fact
from services.infra.keys import Key, Sealer, contact_key
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

    def __init__(self, view: SQLiteNameView | PostgresNameView, key: str | Key) -> None:
        self.view = view
        self._sealer = Sealer(key if isinstance(key, Key) else Key(key))

    def keep(self, names: dict[str, tuple[str, str]]) -> None:
        """Seals and keeps each household's head's name (the latest wins)."""
        if names:
            self.view.save(
                [
                    SealedName(
                        household_id=h,
                        township=township,
                        sealed=self._sealer.seal(n),
                    )
                    for h, (township, n) in names.items()
                ],
                None,
            )

    def name(self, household_id: str) -> str | None:
        found = self.view.get(household_id)
        if found is None:
            return None
        return self._sealer.open(found.sealed)[0]

    def shown(self, who: Principal, township: str | None, household_id: str) -> str | None:
        """The name as one household's own page shows it to ``who``, or None.

        Only the roles of the household's own ``township`` see it: its staff
        and its reviewer, who answer for the household. The role table keeps
        village staff (the village committee's, bound to a village, shown no
        health detail and no household page) apart from the township's, so
        they see it only on the notice and the announcement they post; the
        county's roles, operators and the public never. Callers show it on a
        single household's or case's page, never in a list, export or message."""
        if who.role not in (Role.STAFF, Role.REVIEWER) or not township:
            return None
        if who.township != township:
            return None
        return self.name(household_id)

    def reseal(self) -> int:
        """Seals again with the current key every name an earlier key sealed."""
        return self._sealer.reseal(self.view)

    def close(self) -> None:
        self.view.datastore.close()


def open_names(settings: Settings) -> HeadNames:
    """The table on the households' store, under the contact key (the same
    key every process of the deployment is given, or the state directory's)."""
    key = contact_key(settings)
    view = settings.open_store(
        lambda: open_view(settings.store_env("Names"), "Names", SQLiteNameView, PostgresNameView),
        "the heads' names table",
    )
    return HeadNames(view, key)
