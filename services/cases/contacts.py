"""Sealed contacts of households outside the registry: the text encrypted
with the deployment's contact key (the eventsourcing library's AES cipher)
in a table that forgets it (overwritten once the case is decided, by the
decided follower, ``services/cases/decided.py``), never in an event, a
message, a log or an export. Showing one is a command on the household's
contact record, which checks who asks and records the showing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from eventsourcing.cipher import AESCipher
from eventsourcing.persistence import Tracking
from pydantic import BaseModel

from domain.access import Principal
from domain.case_input import CaseForbidden
from domain.contacts import NOT_YOURS, ContactRecord, contact_text, may_see
from domain.task_input import TaskError
from services.cases.app import Cases
from services.infra.keys import Key, Sealer, Unreadable
from services.infra.views import PostgresDocumentView, SQLiteDocumentView, Table


class SealedContact(BaseModel):
    household_id: str
    township: str
    sealed: str  # base64 of the ciphertext; "" once erased


CONTACTS = Table(
    name="contacts",
    key="household_id",
    columns=("township",),
    model=SealedContact,
    order="household_id",
)


class SQLiteContactView(SQLiteDocumentView[SealedContact]):
    table = CONTACTS


class PostgresContactView(PostgresDocumentView[SealedContact]):
    table = CONTACTS


ContactView = SQLiteContactView | PostgresContactView


def new_key() -> str:
    return AESCipher.create_key(32)


class ContactBook:
    """Seals with the current key; opens with it or an earlier one (a
    rotation under way), and ``reseal`` moves every contact to the current."""

    def __init__(
        self,
        cases: Cases,
        view: ContactView,
        key: str,
        clock: Callable[[], datetime],
        previous: Sequence[str] = (),
    ) -> None:
        self.cases, self.view, self.clock = cases, view, clock
        self._sealer = Sealer(Key(key, tuple(previous)))

    def leave(self, household_id: str, township: str, text: str) -> None:
        """Seals the contact before the lead is taken: a lead never exists
        whose contact was lost."""
        sealed = self._sealer.seal(contact_text(text))
        self.view.save(
            [
                SealedContact(
                    household_id=household_id,
                    township=township,
                    sealed=sealed,
                )
            ],
            None,
        )
        self.cases.save(ContactRecord(household_id, township, self.clock()))

    def show(self, household_id: str, who: Principal) -> str:
        """The contact, to the staff of the household's township; anyone
        else hears 403 whether or not the household exists or left one."""
        record = self.cases._get(ContactRecord.create_id(household_id))
        if record is None:
            household = self.cases.record(household_id)
            if household is None or not may_see(who, household.township):
                raise CaseForbidden(NOT_YOURS)
            raise TaskError("no contact was left for this household")
        record.show(who, self.clock())  # checks who may see it
        self.cases.save(record)
        row = self.view.get(household_id)
        if row is None or not row.sealed:
            raise TaskError("the contact was erased when the case was decided")
        try:
            return self._sealer.open(row.sealed)[0]
        except Unreadable:
            raise TaskError(
                "the contact cannot be opened with the configured contact keys"
            ) from None

    def reseal(self) -> int:
        """Seals again with the current key every contact an earlier key
        sealed; the number resealed (``Sealer.reseal``)."""
        return self._sealer.reseal(self.view, self._forget_if_erased)

    def _forget_if_erased(self, row: SealedContact) -> None:
        """A decision that erased the contact while it was being resealed
        wins: the resealed text is overwritten again."""
        record = self.cases._get(ContactRecord.create_id(row.household_id))
        if record is not None and record.erased_at is not None:
            self.view.save([row.model_copy(update={"sealed": ""})], None)

    def erase(self, household_id: str, tracking: Tracking | None = None) -> bool:
        """Forgets the household's contact, if it left one: the sealed text
        first, then its record's erasure, written with ``tracking`` (the
        decision's notification, recorded alone when there is no contact).
        Either may run again after a crash: a blank row is written blank, an
        erased record records no second erasure. False when none was left."""
        record = self.cases._get(ContactRecord.create_id(household_id))
        if record is not None:
            self.view.save(
                [SealedContact(household_id=household_id, township=record.township, sealed="")],
                None,
            )
            record.erase(self.clock())
        if tracking is not None:
            changed = [] if record is None else [record]
            self.cases.finish_job(
                tracking.application_name, tracking.notification_id, *changed, position=True
            )
        elif record is not None:
            self.cases.save(record)
        return record is not None

    def left_by(self, household_id: str) -> bool:
        return self.cases._get(ContactRecord.create_id(household_id)) is not None
