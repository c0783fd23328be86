"""Who may do what: roles, accounts and the rules that keep one township's
households from another's staff.

Deny by default: a permission not listed for a role is refused. Tokens are
never kept, only their hashes (computed by the caller, so this module stays
free of I/O and randomness).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


class Role(str, Enum):
    STAFF = "staff"  # township staff: one township's households and tasks
    COUNTY = "county"  # county office: every township
    OPERATOR = "operator"  # silences, health details, metrics
    PUBLISHER = "publisher"  # a department: uploads its own files


class Permission(str, Enum):
    READ_HOUSEHOLDS = "read_households"  # risk status, health details, timeline
    READ_TASKS = "read_tasks"
    ACT_ON_TASKS = "act_on_tasks"
    MANAGE_SILENCES = "manage_silences"
    READ_OPERATIONS = "read_operations"  # metrics, readiness details
    PUBLISH = "publish"


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.STAFF: frozenset(
        {Permission.READ_HOUSEHOLDS, Permission.READ_TASKS, Permission.ACT_ON_TASKS}
    ),
    Role.COUNTY: frozenset(
        {Permission.READ_HOUSEHOLDS, Permission.READ_TASKS, Permission.ACT_ON_TASKS}
    ),
    Role.OPERATOR: frozenset({Permission.MANAGE_SILENCES, Permission.READ_OPERATIONS}),
    Role.PUBLISHER: frozenset({Permission.PUBLISH}),
}


class AccessError(ValueError):
    """An account that cannot be issued or revoked as asked."""


@dataclass(frozen=True)
class Principal:
    """The signed-in account, as the services see it."""

    name: str
    role: Role
    township: str | None = None  # staff only
    source: str | None = None  # publisher only: the department it speaks for

    def may(self, permission: Permission) -> bool:
        return permission in GRANTS[self.role]

    def sees_township(self, township: str | None) -> bool:
        """Staff see their own township only; a household without one
        (not in the registry) is the county office's to look at."""
        if self.role is Role.COUNTY:
            return True
        return self.role is Role.STAFF and township is not None and township == self.township


@dataclass
class Account:
    name: str
    role: Role
    township: str | None
    source: str | None
    token_hash: str
    issued_at: datetime
    issued_by: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def principal(self) -> Principal:
        return Principal(self.name, self.role, self.township, self.source)


class Roster(Aggregate):
    """Every account the county has issued; one token per account name
    (issuing again replaces the token)."""

    ID = uuid5(NAMESPACE_URL, "/povwatch/roster")

    @staticmethod
    def create_id() -> UUID:
        return Roster.ID

    @event("Opened")
    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}

    def issue(
        self,
        name: str,
        role: Role,
        token_hash: str,
        at: datetime,
        by: str,
        township: str | None = None,
        source: str | None = None,
    ) -> None:
        name = name.strip()
        if not name or len(name) > 100:
            raise AccessError("an account needs a name of 1 to 100 characters")
        if role is Role.STAFF and not township:
            raise AccessError("township staff need their township (--township)")
        if role is not Role.STAFF and township:
            raise AccessError("only township staff belong to one township")
        if role is Role.PUBLISHER and not source:
            raise AccessError("a publisher needs the department it speaks for (--source)")
        if role is not Role.PUBLISHER and source:
            raise AccessError("only publishers speak for a department")
        self._issued(name, role.value, township, source, token_hash, at, by)

    @event("Issued")
    def _issued(
        self,
        name: str,
        role: str,
        township: str | None,
        source: str | None,
        token_hash: str,
        at: datetime,
        by: str,
    ) -> None:
        self.accounts[name] = Account(name, Role(role), township, source, token_hash, at, by)

    def revoke(self, name: str, at: datetime, by: str) -> None:
        account = self.accounts.get(name)
        if account is None or not account.active:
            raise AccessError(f"no active account {name!r}")
        self._revoked(name, at, by)

    @event("Revoked")
    def _revoked(self, name: str, at: datetime, by: str) -> None:
        account = self.accounts[name]
        account.revoked_at, account.revoked_by = at, by

    def find(self, token_hash: str) -> Account | None:
        for account in self.accounts.values():
            if account.active and hmac.compare_digest(account.token_hash, token_hash):
                return account
        return None
