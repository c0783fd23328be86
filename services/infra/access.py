"""Accounts and sign-in: tokens are issued once, shown once, and kept only
as SHA-256 hashes in the event store (a token is 256 random bits, so a fast
hash is enough); each HTTP request names its account with
``Authorization: Bearer <token>`` or, in the browser, the sign-in cookie,
which holds a session's id (random, kept as a hash too), never the token."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from domain.access import (
    DEFAULT_TOKEN_LIFETIME,
    Account,
    Permission,
    Principal,
    Role,
    Roster,
    Session,
)

COOKIE = "povwatch_session"
TOKEN_PREFIX = "pw_"
SESSION_PREFIX = "ps_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def utcnow() -> datetime:
    return datetime.now(UTC)


class Accounts(Application[object]):
    name = "Accounts"
    # The roster and the sessions are cached and fast-forwarded from the store
    # on each read, so a token revoked or a session ended by another process
    # stops working at its next request.
    env = {"AGGREGATE_CACHE_MAXSIZE": "1000", "AGGREGATE_CACHE_FASTFORWARD": "y"}

    def __init__(
        self,
        env: dict[str, str] | None = None,
        clock: Callable[[], datetime] = utcnow,
        session_lifetime: timedelta = timedelta(hours=12),
    ) -> None:
        super().__init__(env=env)
        self.clock, self.session_lifetime = clock, session_lifetime

    def roster(self) -> Roster | None:
        try:
            return self.repository.get(Roster.ID)
        except AggregateNotFoundError:
            return None

    def issue(
        self,
        name: str,
        role: Role,
        by: str,
        township: str | None = None,
        source: str | None = None,
        village: str | None = None,
        lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
    ) -> str:
        """Returns the new token, working for ``lifetime``; it is not stored
        and cannot be shown again."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        for attempt in range(3):
            roster = self.roster() or Roster()
            now = self.clock()
            roster.issue(
                name,
                role,
                token_hash(token),
                now,
                by,
                township=township,
                source=source,
                village=village,
                expires_at=now + lifetime,
            )
            try:
                self.save(roster)
                return token
            except IntegrityError:  # another process changed the roster first
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def revoke(self, name: str, by: str) -> None:
        roster = self.roster() or Roster()
        roster.revoke(name, self.clock(), by)
        self.save(roster)

    def list(self) -> list[Account]:
        roster = self.roster()
        return sorted(roster.accounts.values(), key=lambda a: a.name) if roster else []

    def authenticate(self, token: str) -> Principal | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        roster = self.roster()
        account = roster.find(token_hash(token), self.clock()) if roster else None
        return account.principal() if account else None

    def sign_in(self, token: str) -> tuple[str, Principal] | None:
        """A new session for a working token: its id (for the cookie; only
        its hash is stored) and the account; None for a token that does not work."""
        roster = self.roster()
        now = self.clock()
        account = roster.find(token_hash(token), now) if roster and token else None
        if account is None:
            return None
        session_id = SESSION_PREFIX + secrets.token_urlsafe(32)
        session = Session.start(token_hash(session_id), account, now, self.session_lifetime)
        self.save(session)
        return session_id, account.principal()

    def _session(self, session_id: str) -> Session | None:
        if not session_id.startswith(SESSION_PREFIX):
            return None
        try:
            found: Session = self.repository.get(Session.create_id(token_hash(session_id)))
        except AggregateNotFoundError:
            return None
        return found

    def session(self, session_id: str) -> Principal | None:
        """The account a session cookie names while the session works."""
        session, roster = self._session(session_id), self.roster()
        if session is None or roster is None:
            return None
        return session.principal(roster, self.clock())

    def sign_out(self, session_id: str) -> None:
        session = self._session(session_id)
        if session is not None:
            session.end(self.clock())
            self.save(session)


def open_accounts(settings, clock: Callable[[], datetime] = utcnow) -> Accounts:
    """The accounts, whose tokens and sign-ins expire on ``clock``: the wall
    clock in the services, whatever the procedure's clock says."""
    lifetime = timedelta(hours=settings.session_hours)
    return settings.open_store(
        lambda: Accounts(settings.store_env("Accounts"), clock, lifetime), "the accounts"
    )


_bearer = HTTPBearer(auto_error=False, description="a token from `povwatch accounts issue`")


def signed_in(accounts: Accounts) -> Callable[..., Principal]:
    """A FastAPI dependency: the request's account (its bearer token, else
    the inbox's session cookie), or 401."""

    def current(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
    ) -> Principal:
        session = request.cookies.get(COOKIE)
        if credentials is None and not session:
            raise HTTPException(
                401,
                "sign in: send Authorization: Bearer <token>",
                headers={"WWW-Authenticate": "Bearer"},
            )
        principal = (
            accounts.authenticate(credentials.credentials)
            if credentials
            else accounts.session(session or "")
        )
        if principal is None:
            raise HTTPException(
                401, "unknown, expired or revoked token", headers={"WWW-Authenticate": "Bearer"}
            )
        return principal

    return current


def allowed(current: Callable[..., Principal], permission: Permission) -> Callable[..., Principal]:
    """A FastAPI dependency: the signed-in account if its role grants
    ``permission``, else 403."""

    def check(principal: Principal = Depends(current)) -> Principal:
        if not principal.may(permission):
            raise HTTPException(403, f"the {principal.role.value} role may not {permission.value}")
        return principal

    return check


def require_township(principal: Principal, township: str | None) -> None:
    """403 for anything outside the account's townships."""
    if not principal.sees_township(township):
        raise HTTPException(403, "outside your township")


def require_visible(principal: Principal, found: bool, township: str | None, missing: str) -> None:
    """403 for anything outside the account's township whether or not it
    exists (so that a 404 cannot tell another township's households apart);
    404 only to the county office."""
    require_township(principal, township if found else None)
    if not found:
        raise HTTPException(404, missing)


def require_area(
    principal: Principal,
    found: bool,
    township: str | None,
    village: str | None,
    missing: str,
) -> None:
    """As ``require_visible``, for what belongs to a village too (village
    staff see their own village only)."""
    # Only the county hears that something does not exist (see require_visible).
    seen = principal.sees(township, village) if found else principal.sees_township(None)
    if not seen:
        raise HTTPException(403, "outside your area")
    if not found:
        raise HTTPException(404, missing)


def scoped_township(principal: Principal, township: str | None) -> str | None:
    """The township filter a listing may use: township accounts list their
    own (asking for another is 403); the county lists what it asks for."""
    if not principal.countywide:
        if township not in (None, principal.township):
            require_township(principal, township)
        return principal.township
    return township


def scoped_village(principal: Principal, village: str | None) -> str | None:
    """The village filter: village staff list their own village only."""
    if principal.role is Role.VILLAGE:
        if village not in (None, principal.village):
            raise HTTPException(403, "outside your area")
        return principal.village
    return village
