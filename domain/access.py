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
    VILLAGE = "village"  # village staff: one village's households and cases
    REVIEWER = "reviewer"  # township reviewer: approves or returns one township's cases
    APPROVER = "approver"  # county approver: decides every township's cases
    OPERATOR = "operator"  # runs the services: silences, feeds, pushes, metrics; no household
    PUBLISHER = "publisher"  # a department: uploads its own files
    METRICS = "metrics"  # a scraper (Prometheus): /metrics and nothing else


class Permission(str, Enum):
    READ_HOUSEHOLDS = "read_households"  # risk status, health details, timeline
    READ_TASKS = "read_tasks"
    ACT_ON_TASKS = "act_on_tasks"
    MANAGE_SILENCES = "manage_silences"
    READ_OPERATIONS = "read_operations"  # departments' feeds, pushes' deliveries
    SCRAPE_METRICS = "scrape_metrics"  # /metrics: counts per township, never a household
    READ_API_SPEC = "read_api_spec"  # /docs and /openapi.json
    PUBLISH = "publish"
    READ_CASES = "read_cases"  # cases, notices, monitoring records and plans
    ACT_ON_CASES = "act_on_cases"  # which stage is the procedure's rule (domain.cases)
    # What-if: a proposed policy over every household, the county office's
    # alone: moving a threshold step by step narrows down one household's
    # figures (its medical spending), in the workbook and, for a small
    # township, in the townships' totals too.
    ASSESS_POLICY = "assess_policy"


_CASES = frozenset({Permission.READ_CASES, Permission.ACT_ON_CASES})
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.STAFF: frozenset(
        {Permission.READ_HOUSEHOLDS, Permission.READ_TASKS, Permission.ACT_ON_TASKS}
    )
    | _CASES,
    Role.COUNTY: frozenset(
        {Permission.READ_HOUSEHOLDS, Permission.READ_TASKS, Permission.ACT_ON_TASKS}
    )
    | _CASES
    | {Permission.ASSESS_POLICY, Permission.READ_API_SPEC},
    # Village staff see their village's cases only; the household lists are township-wide.
    Role.VILLAGE: _CASES,
    Role.REVIEWER: frozenset({Permission.READ_HOUSEHOLDS}) | _CASES,
    Role.APPROVER: frozenset({Permission.READ_HOUSEHOLDS}) | _CASES,
    Role.OPERATOR: frozenset(
        {
            Permission.MANAGE_SILENCES,
            Permission.READ_OPERATIONS,
            Permission.SCRAPE_METRICS,
            Permission.READ_API_SPEC,
        }
    ),
    Role.PUBLISHER: frozenset({Permission.PUBLISH}),
    Role.METRICS: frozenset({Permission.SCRAPE_METRICS}),
}


class AccessError(ValueError):
    """An account that cannot be issued or revoked as asked."""


@dataclass(frozen=True)
class Principal:
    """The signed-in account, as the services see it."""

    name: str
    role: Role
    township: str | None = None  # township and village staff, reviewers
    source: str | None = None  # publisher only: the department it speaks for
    village: str | None = None  # village staff only

    def may(self, permission: Permission) -> bool:
        return permission in GRANTS[self.role]

    @property
    def countywide(self) -> bool:
        return self.role in (Role.COUNTY, Role.APPROVER)

    def sees_township(self, township: str | None) -> bool:
        """Township staff and reviewers see their own township only; a
        household without one (not in the registry) is the county's to look
        at. Village staff see their township's lists only through their
        village (``sees``)."""
        if self.countywide:
            return True
        return (
            self.role in (Role.STAFF, Role.REVIEWER, Role.VILLAGE)
            and township is not None
            and township == self.township
        )

    def sees(self, township: str | None, village: str | None) -> bool:
        """A household's place within the account's area."""
        if not self.sees_township(township):
            return False
        return self.role is not Role.VILLAGE or (village is not None and village == self.village)


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
    village: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def principal(self) -> Principal:
        return Principal(self.name, self.role, self.township, self.source, self.village)


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
        village: str | None = None,
    ) -> None:
        name = name.strip()
        if not name or len(name) > 100:
            raise AccessError("an account needs a name of 1 to 100 characters")
        local = (Role.STAFF, Role.REVIEWER, Role.VILLAGE)
        if role in local and not township:
            raise AccessError(f"{role.value} accounts need their township (--township)")
        if role not in local and township:
            raise AccessError(
                "only township staff, reviewers and village staff belong to one township"
            )
        if role is Role.VILLAGE and not village:
            raise AccessError("village staff need their village (--village)")
        if role is not Role.VILLAGE and village:
            raise AccessError("only village staff belong to one village")
        if role is Role.PUBLISHER and not source:
            raise AccessError("a publisher needs the department it speaks for (--source)")
        if role is not Role.PUBLISHER and source:
            raise AccessError("only publishers speak for a department")
        self._issued(name, role.value, township, source, token_hash, at, by, village)

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
        village: str | None = None,  # absent from accounts issued before village staff
    ) -> None:
        self.accounts[name] = Account(
            name, Role(role), township, source, token_hash, at, by, village=village
        )

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
