"""What-if over a county's store, the same tests on SQLite and PostgreSQL:
raising the monitoring line changes exactly the households whose income lies
between the two lines, in parallel processes as in one, read only; the
command's Excel holds those households; a bad file is refused with its line
and field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from domain.access import Role
from domain.risk import assess
from domain.whatif import Regime
from services.cli import app
from services.households.app import Households
from services.households.statusview import open_view
from services.infra.access import open_accounts
from services.infra.policyfile import load_policies
from services.infra.rulefile import load_rules
from services.monitor.riskstatus import RiskStatusProjection
from services.whatif.files import FileRefused, read_policy, read_rules
from services.whatif.run import run
from synthetic.county import make_county, messages
from tests.helpers import feed
from tests.test_whatif_domain import IN_FORCE, raised

ON = date(2026, 12, 31)
OLD, NEW = Decimal("7500"), Decimal("9000")


@pytest.fixture
def county(store_settings):
    """A small county's year of feeds in the store, and its risk status view."""
    households = Households(env=store_settings.store_env("Monitor"))
    feed(households, list(messages(make_county(40, seed=5, months=12, start=date(2026, 1, 1)))))
    view = open_view(store_settings)
    RiskStatusProjection(households, view, load_policies(store_settings), lambda: ON).catch_up()
    yield store_settings, households, view
    view.datastore.close()
    households.close()


def token_file(settings, tmp_path, role: Role) -> str:
    """A file holding a new token of ``role``, as `accounts issue --token-file` writes it."""
    accounts = open_accounts(settings)
    path = tmp_path / f"{role.value}.token"
    path.write_text(accounts.issue(f"the-{role.value}", role, "test") + "\n")
    accounts.close()
    return str(path)


def between_the_lines(settings, households: Households, view) -> set[str]:
    """The registered households whose 12 months' income per person lies
    between the line in force and the proposed one."""
    policy = load_policies(settings).in_force(ON)
    out = set()
    for s in view.search(limit=500).items:
        status = assess(households.household(s.household_id).facts, policy, ON)
        pci = status.per_capita_income_yuan
        if status.registered and pci is not None and OLD <= pci < NEW:
            out.add(s.household_id)
    return out


@pytest.mark.parametrize("workers", [1, 2])
def test_raising_the_line_changes_exactly_the_households_between_the_lines(county, workers):
    settings, households, view = county
    current = Regime(load_policies(settings), load_rules(settings.rules_file))
    proposed = Regime(read_policy(raised(str(NEW))), current.rules)
    top = households.recorder.max_notification_id()
    before = {s.household_id: s for s in view.search(limit=500).items}
    seen: list[tuple[int, int | None]] = []
    outcome = run(settings, current, proposed, ON, workers, lambda d, t: seen.append((d, t)))
    expected = between_the_lines(settings, households, view)
    assert len(expected) >= 3
    assert {c.household_id for c in outcome.changes} == expected
    assert outcome.households == len(before) and outcome.events == top
    assert seen[-1] == (len(before), len(before))  # progress: households done of the view's
    total = outcome.summary.total()
    assert total.changed == len(expected) and total.households == len(before)
    assert total.drivers() == [
        ("income_below_line", len(expected), 0),
        ("income_in_band", 0, len(expected)),
    ]
    # Read only: the store and the live view are as they were.
    assert households.recorder.max_notification_id() == top
    assert {s.household_id: s for s in view.search(limit=500).items} == before


def test_the_command_writes_the_households_that_change(county, tmp_path):
    settings, households, view = county
    env = {
        "POVWATCH_STORE": settings.store,
        "POVWATCH_SQLITE_DIR": str(settings.sqlite_dir),
        "POVWATCH_POSTGRES_SCHEMA": settings.postgres_schema,
    }
    policy, out = tmp_path / "new.toml", tmp_path / "changes.xlsx"
    policy.write_text(raised(str(NEW)), encoding="utf-8")
    args = ["whatif", "--policy", str(policy), "--on", ON.isoformat(), "--out", str(out)]
    county_token = token_file(settings, tmp_path, Role.COUNTY)
    result = CliRunner().invoke(
        app, [*args, "--workers", "2", "--token-file", county_token], env=env
    )
    assert result.exit_code == 0, result.output
    assert "收入低于监测线" in result.output and "households" in result.output
    sheet = load_workbook(out, read_only=True)["变化农户"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("户编号", "乡镇", "村", "现行风险等级", "拟议风险等级")
    expected = between_the_lines(settings, households, view)
    assert {r[0] for r in rows[1:]} == expected and len(rows) - 1 == len(expected)
    for r in rows[1:]:
        assert r[5] == "收入低于监测线" and r[6] == "收入处于监测区间"
        assert r[4] in ("高", "紧急")


def test_the_command_refuses_whoever_is_not_the_county_office(county, tmp_path):
    """Whoever runs the services (an operator) or scrapes them gets neither
    the workbook nor the townships' table: exit 3 before the store is read."""
    settings, _, _ = county
    env = {
        "POVWATCH_STORE": settings.store,
        "POVWATCH_SQLITE_DIR": str(settings.sqlite_dir),
        "POVWATCH_POSTGRES_SCHEMA": settings.postgres_schema,
    }
    policy, out = tmp_path / "new.toml", tmp_path / "changes.xlsx"
    policy.write_text(raised(str(NEW)), encoding="utf-8")
    args = ["whatif", "--policy", str(policy), "--on", ON.isoformat(), "--out", str(out)]
    forged = tmp_path / "forged.token"
    forged.write_text("pw_forged\n")
    for role, token in (
        (Role.OPERATOR, token_file(settings, tmp_path, Role.OPERATOR)),
        (Role.METRICS, token_file(settings, tmp_path, Role.METRICS)),
        (None, str(forged)),
    ):
        result = CliRunner().invoke(app, [*args, "--token-file", token], env=env)
        assert result.exit_code == 3, (role, result.output)
        assert "refused" in result.output
        if role is not None:
            assert f"the {role.value} role may not assess_policy" in result.output
        assert not out.exists() and "households" not in result.output
    result = CliRunner().invoke(app, args, env=env)  # no token at all
    assert result.exit_code == 2 and "--token-file" in result.output
    assert not out.exists()


def test_a_bad_policy_file_is_refused_with_its_line_and_field(store_settings, tmp_path):
    bad = IN_FORCE.replace('poverty_line_yuan = "6000"', 'poverty_line_yuan = "six thousand"')
    with pytest.raises(FileRefused) as refused:
        read_policy(bad, "new.toml")
    (problem,) = refused.value.problems
    assert problem.field == "poverty_line_yuan"
    assert bad.splitlines()[problem.line - 1].startswith("poverty_line_yuan")
    assert "[[policy]] #2: poverty_line_yuan" in str(refused.value)
    with pytest.raises(FileRefused) as refused:
        read_rules("rules:\n  - id: Bad Id\n    cards: [green]\n    title: x\n    source: y\n")
    assert [(p.line, p.field) for p in refused.value.problems] == [(2, "rules.0.id")]
    # The command refuses it before reading the store, exit 2 with the loader's words.
    path = tmp_path / "bad.toml"
    path.write_text(bad, encoding="utf-8")
    env = {
        "POVWATCH_STORE": store_settings.store,
        "POVWATCH_SQLITE_DIR": str(store_settings.sqlite_dir),
        "POVWATCH_POSTGRES_SCHEMA": store_settings.postgres_schema,
    }
    county_token = token_file(store_settings, tmp_path, Role.COUNTY)
    result = CliRunner().invoke(
        app,
        ["whatif", "--policy", str(path), "--on", "2026-12-31", "--token-file", county_token],
        env=env,
    )
    assert result.exit_code == 2
    assert "poverty_line_yuan" in result.output and "#2" in result.output
