"""Sealed contacts of households outside the registry: the text encrypted
with the deployment's contact key (the eventsourcing library's AES cipher)
in a table that forgets it (overwritten once the case is decided, by the
decided follower, ``services/cases/decided.py``), never in an event, a
message, a log or an export. Showing one is a command on the household's
contact record, which checks who asks and records the showing."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime

from eventsourcing.cipher import AESCipher
from eventsourcing.persistence import Tracking
from eventsourcing.utils import Environment
from pydantic import BaseModel

from domain.access import Principal
from domain.case_input import CaseForbidden
from domain.contacts import NOT_YOURS, ContactRecord, contact_text, may_see
from domain.task_input import TaskError
from services.cases.app import Cases
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
    def __init__(
        self, cases: Cases, view: ContactView, key: str, clock: Callable[[], datetime]
    ) -> None:
        self.cases, self.view, self.clock = cases, view, clock
        self._cipher = AESCipher(Environment(env={"CIPHER_KEY": key}))

    def leave(self, household_id: str, township: str, text: str) -> None:
        """Seals the contact before the lead is taken: a lead never exists
        whose contact was lost."""
        sealed = self._cipher.encrypt(contact_text(text).encode())
        self.view.save(
            [
                SealedContact(
                    household_id=household_id,
                    township=township,
                    sealed=base64.b64encode(sealed).decode(),
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
        return self._cipher.decrypt(base64.b64decode(row.sealed)).decode()

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
