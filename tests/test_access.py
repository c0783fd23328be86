"""Accounts, roles and tokens, on both stores."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from domain.access import GRANTS, AccessError, Permission, Principal, Role
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
