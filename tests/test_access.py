"""Accounts, roles, tokens and inbox sessions, on both stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from domain.access import (
    DEFAULT_TOKEN_LIFETIME,
    GRANTS,
    AccessError,
    Permission,
    Principal,
    Role,
    Session,
)
from services.cli import app
from services.infra.access import open_accounts, token_hash


@pytest.fixture
def accounts(store_settings):
    accounts = open_accounts(store_settings)
    yield accounts
    accounts.close()


def test_a_token_names_its_account_and_is_stored_only_as_a_hash(accounts):
    token = accounts.issue("wang", Role.STAFF, "admin", township="Jinlong")
    assert accounts.authenticate(token) == Principal("wang", Role.STAFF, "Jinlong")
    assert accounts.authenticate(token + "x") is None
    assert accounts.authenticate("not-a-token") is None
    stored = [e.__dict__ for e in accounts.repository.event_store.get(accounts.roster().id)]
    assert token not in repr(stored) and token_hash(token) in repr(stored)


def test_issuing_again_replaces_the_token_and_revoking_ends_it(accounts):
    first = accounts.issue("li", Role.COUNTY, "admin")
    second = accounts.issue("li", Role.COUNTY, "admin")
    assert accounts.authenticate(first) is None and accounts.authenticate(second) is not None
    accounts.revoke("li", "admin")
    assert accounts.authenticate(second) is None
    (li,) = accounts.list()
    assert li.revoked_by == "admin" and not li.active
    with pytest.raises(AccessError, match="no active account"):
        accounts.revoke("li", "admin")


def test_a_revocation_by_another_process_is_seen_at_the_next_request(store_settings, accounts):
    token = accounts.issue("zhao", Role.OPERATOR, "admin")
    assert accounts.authenticate(token) is not None  # cached from here on
    other = open_accounts(store_settings)
    other.revoke("zhao", "admin")
    other.close()
    assert accounts.authenticate(token) is None


@pytest.mark.parametrize(
    "kwargs, reason",
    [
        (dict(role=Role.STAFF), "township"),
        (dict(role=Role.COUNTY, township="Jinlong"), "only township staff"),
        (dict(role=Role.PUBLISHER), "department"),
        (dict(role=Role.OPERATOR, source="banks"), "only publishers"),
        (dict(role=Role.METRICS, township="Jinlong"), "only township staff"),
    ],
)
def test_an_account_must_fit_its_role(accounts, kwargs, reason):
    with pytest.raises(AccessError, match=reason):
        accounts.issue("x", by="admin", **kwargs)


def test_roles_grant_only_what_they_name():
    staff = Principal("a", Role.STAFF, "Jinlong")
    assert staff.may(Permission.ACT_ON_TASKS) and not staff.may(Permission.MANAGE_SILENCES)
    assert staff.sees_township("Jinlong") and not staff.sees_township("Yuanjiang")
    assert not staff.sees_township(None)
    assert Principal("c", Role.COUNTY).sees_township(None)
    operator = Principal("o", Role.OPERATOR)
    assert not operator.may(Permission.READ_HOUSEHOLDS) and not operator.sees_township("Jinlong")
    # What-if lists households (and its totals narrow one down): the county office's alone.
    assert not operator.may(Permission.ASSESS_POLICY)
    assert Principal("c", Role.COUNTY).may(Permission.ASSESS_POLICY)
    # A scraper's token opens /metrics and nothing else.
    assert GRANTS[Role.METRICS] == {Permission.SCRAPE_METRICS}
    assert not Principal("m", Role.METRICS).sees_township(None)
    assert Principal("p", Role.PUBLISHER, source="banks").may(Permission.PUBLISH)


def test_cli_issues_lists_and_revokes(store_settings, tmp_path, monkeypatch):
    for key, value in store_settings.model_dump().items():
        if value is not None:
            monkeypatch.setenv(f"POVWATCH_{key.upper()}", str(value))
    runner = CliRunner()
    r = runner.invoke(
        app, ["accounts", "issue", "wang", "--role", "staff", "--township", "Jinlong"]
    )
    assert r.exit_code == 0 and r.stdout.strip().startswith("pw_")
    token_file = tmp_path / "secrets" / "prom.token"
    r = runner.invoke(
        app, ["accounts", "issue", "prom", "--role", "metrics", "--token-file", str(token_file)]
    )
    assert r.exit_code == 0 and oct(token_file.stat().st_mode)[-3:] == "600"
    accounts = open_accounts(store_settings)
    prom = accounts.authenticate(token_file.read_text().strip())
    assert prom.name == "prom" and prom.role is Role.METRICS
    accounts.close()
    r = runner.invoke(app, ["accounts", "issue", "x", "--role", "staff"])
    assert r.exit_code == 2 and "township" in r.stdout
    r = runner.invoke(app, ["accounts", "issue", "x", "--role", "boss"])
    assert r.exit_code == 2 and "'boss': one of staff, county, village" in r.output
    assert runner.invoke(app, ["accounts", "revoke", "wang"]).exit_code == 0
    listing = runner.invoke(app, ["accounts", "list"]).stdout
    assert "wang" in listing and "prom" in listing and "pw_" not in listing


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def timed(store_settings):
    clock = Clock()
    accounts = open_accounts(store_settings, clock)
    yield accounts, clock
    accounts.close()


def test_a_token_stops_working_when_it_expires(timed):
    accounts, clock = timed
    month = accounts.issue("wang", Role.STAFF, "admin", township="Jinlong", lifetime=timedelta(30))
    year = accounts.issue("li", Role.COUNTY, "admin")
    (li, wang) = accounts.list()
    assert (
        li.expires == clock.now + DEFAULT_TOKEN_LIFETIME
        and wang.expires == clock.now + timedelta(30)
    )
    clock.now += timedelta(days=30) - timedelta(seconds=1)
    assert accounts.authenticate(month) is not None
    clock.now += timedelta(seconds=1)
    assert accounts.authenticate(month) is None  # expired, not revoked
    assert accounts.authenticate(year) is not None
    clock.now += DEFAULT_TOKEN_LIFETIME
    assert accounts.authenticate(year) is None
    with pytest.raises(AccessError, match="expire after"):
        accounts.issue("zhao", Role.OPERATOR, "admin", lifetime=timedelta(0))


def test_a_session_holds_no_token_and_ends_with_sign_out_revocation_or_expiry(
    timed, store_settings
):
    accounts, clock = timed
    token = accounts.issue("wang", Role.STAFF, "admin", township="Jinlong", lifetime=timedelta(2))
    assert accounts.sign_in("pw_forged") is None and accounts.sign_in("") is None
    session, who = accounts.sign_in(token)
    assert session.startswith("ps_") and token not in session and who.name == "wang"
    assert accounts.session(session) == who
    assert accounts.session(token) is None  # the token is not a session
    events = accounts.repository.event_store.get(Session.create_id(token_hash(session)))
    stored = repr([e.__dict__ for e in events])
    assert session not in stored and token_hash(session) in stored  # kept as a hash only
    # Signing out ends the session wherever its id was copied (another process too).
    other = open_accounts(store_settings, clock)
    assert other.session(session) == who
    accounts.sign_out(session)
    assert other.session(session) is None and accounts.session(session) is None
    other.close()
    # A session lasts its hours (12 by default) and never past its token.
    second, _ = accounts.sign_in(token)
    clock.now += timedelta(hours=12)
    assert accounts.session(second) is None and accounts.authenticate(token) is not None
    third, _ = accounts.sign_in(token)
    clock.now += timedelta(hours=11, minutes=59)
    assert accounts.session(third) is not None
    clock.now += timedelta(hours=12)  # the token's two days are over
    assert accounts.session(third) is None
    # A new token for the account, or its revocation, ends its sessions.
    token = accounts.issue("wang", Role.STAFF, "admin", township="Jinlong")
    fourth, _ = accounts.sign_in(token)
    accounts.issue("wang", Role.STAFF, "admin", township="Jinlong")
    assert accounts.session(fourth) is None
    token = accounts.issue("wang", Role.STAFF, "admin", township="Jinlong")
    fifth, _ = accounts.sign_in(token)
    accounts.revoke("wang", "admin")
    assert accounts.session(fifth) is None and accounts.sign_in(token) is None


def test_cli_lists_each_token_s_expiry_and_whether_it_was_revoked(store_settings, monkeypatch):
    for key, value in store_settings.model_dump().items():
        if value is not None:
            monkeypatch.setenv(f"POVWATCH_{key.upper()}", str(value))
    monkeypatch.setenv("POVWATCH_TOKEN_DAYS", "90")
    past = Clock()
    past.now = datetime.now(UTC) - timedelta(days=400)
    old = open_accounts(store_settings, past)
    old.issue("old", Role.COUNTY, "admin")  # a year's token, issued 400 days ago
    old.close()
    runner = CliRunner()
    today = datetime.now(UTC)
    for args in (["week", "--days", "7"], ["quarter"], ["gone"]):
        r = runner.invoke(app, ["accounts", "issue", *args[:1], "--role", "county", *args[1:]])
        assert r.exit_code == 0, r.output
    assert runner.invoke(app, ["accounts", "revoke", "gone", "--by", "chen"]).exit_code == 0
    rows = {
        line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
        for line in runner.invoke(app, ["accounts", "list"]).stdout.splitlines()
        if line.startswith("│")
    }
    _, _, _, _, expires, revoked, state = rows["week"]
    assert expires.startswith(f"{today + timedelta(7):%Y-%m-%d}") and (revoked, state) == (
        "-",
        "active",
    )
    assert rows["quarter"][4].startswith(f"{today + timedelta(90):%Y-%m-%d}")  # POVWATCH_TOKEN_DAYS
    assert rows["gone"][5].endswith("by chen") and rows["gone"][6] == "revoked"
    assert rows["old"][6] == "expired"
