"""The deployment's keys, on both stores: alerts processes started with the
same key files verify each other's card links and open each other's sealed
contacts (one with keys of its own does neither); a rotation keeps the
earlier key working until the contacts and heads' names are sealed again and
the earlier key is dropped; keys made in the state directory under POVWATCH_ENV=production
are logged as a warning at start."""

from __future__ import annotations

import logging
from contextlib import ExitStack
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from domain.access import Principal, Role
from domain.task_input import TaskError
from schemas.status import RiskStatusOut
from services.alerts.bootstrap import open_cases
from services.cases.bootstrap import Intake, open_intake
from services.cases.contacts import new_key
from services.households.names import HeadNames, open_names
from services.households.statusview import open_view
from services.infra.keys import KeyMissing
from services.infra.links import BadLink, new_link_secret
from services.infra.settings import Settings

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
STAFF = Principal("wang", Role.STAFF, township="城西镇")
PLACES = {"城西镇": ["东风村"]}


def registered(household: str) -> RiskStatusOut:
    return RiskStatusOut(
        household_id=household, registered=True, township="城西镇", village="东风村",
        card="yellow", members=3, labour_capable=1, evaluated_on=date(2026, 12, 1),
        policy_from=date(2026, 1, 1), per_capita_income_yuan=Decimal(9000),
        previous_per_capita_income_yuan=None, half_year_per_capita_income_yuan=None,
        income_stale=False, medical_self_paid_yuan=Decimal(0), employed_members=1,
        housing_damage="none", open_loans=0, overdue_loans=0, factors=[], level="none",
    )  # fmt: skip


def write(path: Path, *keys: str) -> Path:
    path.write_text("\n".join(keys) + "\n")
    return path


@pytest.fixture
def process(store_settings, tmp_path):
    """Opens an alerts process's intake over the shared store, each with a
    state directory of its own (as containers have)."""
    open_view(store_settings).save([registered("430624-0001")], None)
    stack = ExitStack()

    def start(name: str, **keys: object) -> Intake:
        settings = store_settings.model_copy(update={"state_dir": tmp_path / name, **keys})
        cases = open_cases(settings, lambda: NOW)
        stack.callback(cases.close)
        return open_intake(settings, cases, open_view(settings), lambda: NOW)

    with stack:
        yield start


def card_token(intake: Intake) -> str:
    if intake.declarations.current_issue("城西镇", "东风村") == 0:
        intake.declarations.issue("城西镇", "东风村", "county-office")
    [face] = intake.declarations.faces(["430624-0001"], "城西镇", "东风村")
    return face.link.rsplit("/d/", 1)[1]


def test_processes_with_the_same_key_files_share_links_and_contacts(process, tmp_path):
    files = {
        "link_secret_file": write(tmp_path / "link-secret", new_link_secret()),
        "contact_key_file": write(tmp_path / "contact-key", new_key()),
    }
    a, b = process("a", **files), process("b", **files)
    token = card_token(a)
    assert b.declarations.household_of(token).household_id == "430624-0001"
    reference = a.declarations.declare_unregistered(
        PLACES, "城西镇", "东风村", "disaster", "房子被洪水冲坏", "13812345678", a.contacts
    )
    assert b.contacts.show(reference, STAFF) == "13812345678"
    # A process that made its own keys (a container without the shared files) can do neither.
    alone = process("alone")
    with pytest.raises(BadLink):
        alone.declarations.household_of(token)
    with pytest.raises(TaskError, match="cannot be opened"):
        alone.contacts.show(reference, STAFF)


def test_a_rotation_keeps_the_earlier_keys_until_they_are_dropped(
    process, store_settings, tmp_path
):
    old_link, new_link, old_key, new_key_ = (
        new_link_secret(),
        new_link_secret(),
        new_key(),
        new_key(),
    )
    before = process(
        "before",
        link_secret_file=write(tmp_path / "l1", old_link),
        contact_key_file=write(tmp_path / "c1", old_key),
    )
    old_token = card_token(before)
    reference = before.declarations.declare_unregistered(
        PLACES, "城西镇", "东风村", "disaster", "房子被洪水冲坏", "13812345678", before.contacts
    )

    def names(contact_key_file: Path) -> HeadNames:
        return open_names(
            store_settings.model_copy(
                update={"state_dir": tmp_path / "n", "contact_key_file": contact_key_file}
            )
        )

    old_names = names(tmp_path / "c1")
    old_names.keep({"430624-0001": ("城西镇", "张三")})  # a head's name, sealed at ingest
    old_names.close()
    rotating = {
        "link_secret_file": write(tmp_path / "l2", new_link, old_link),
        "contact_key_file": write(tmp_path / "c2", new_key_, old_key),
    }
    during = process("during", **rotating)
    assert during.declarations.household_of(old_token).household_id == "430624-0001"
    new_token = card_token(during)
    assert new_token != old_token  # signed with the new secret only
    with pytest.raises(BadLink):
        before.declarations.household_of(new_token)
    assert during.contacts.show(reference, STAFF) == "13812345678"

    env = {
        "POVWATCH_STORE": store_settings.store,
        "POVWATCH_SQLITE_DIR": str(store_settings.sqlite_dir),
        "POVWATCH_POSTGRES_SCHEMA": store_settings.postgres_schema,
        "POVWATCH_STATE_DIR": str(tmp_path / "cli"),
        "POVWATCH_CONTACT_KEY_FILE": str(rotating["contact_key_file"]),
        "POVWATCH_LINK_SECRET_FILE": str(rotating["link_secret_file"]),
    }
    from services.cli import app

    r = CliRunner().invoke(app, ["keys", "reseal"], env=env)
    assert r.exit_code == 0 and "current key: 1 contact(s), 1 name(s)" in r.output, r.output
    r = CliRunner().invoke(app, ["keys", "reseal"], env=env)
    assert "0 contact(s), 0 name(s)" in r.output  # nothing left under the earlier key

    after = process(
        "after",
        link_secret_file=write(tmp_path / "l3", new_link),
        contact_key_file=write(tmp_path / "c3", new_key_),
    )
    assert after.contacts.show(reference, STAFF) == "13812345678"
    new_names = names(tmp_path / "c3")
    assert new_names.name("430624-0001") == "张三"
    new_names.close()
    assert after.declarations.household_of(new_token).household_id == "430624-0001"
    with pytest.raises(BadLink):
        after.declarations.household_of(old_token)  # the cards printed before the rotation
    with pytest.raises(TaskError, match="cannot be opened"):
        before.contacts.show(reference, STAFF)  # the old key alone opens nothing now


def warnings_of(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "services.infra.keys" and r.levelno == logging.WARNING
    ]


def test_keys_made_beside_the_store_in_production_are_warned_about(process, tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    made = process("made", env="production")
    found = warnings_of(caplog)
    assert len(found) == 2
    assert "POVWATCH_LINK_SECRET" in found[0] and "POVWATCH_CONTACT_KEY" in found[1]
    assert all("state directory" in m and str(tmp_path / "made") in m for m in found)
    secret = (tmp_path / "made" / "link-secret").read_text().strip()
    assert not any(secret in m for m in found)  # the setting is named, never the key
    assert made.declarations.household_of(card_token(made))  # the service still works
    caplog.clear()
    process(
        "mounted",
        env="production",
        link_secret_file=write(tmp_path / "l", new_link_secret()),
        contact_key_file=write(tmp_path / "c", new_key()),
    )
    process("developer")  # not production: the state directory is a developer's default
    assert warnings_of(caplog) == []


def test_a_key_file_that_is_missing_or_empty_stops_the_start_naming_it(process, tmp_path):
    with pytest.raises(KeyMissing, match="POVWATCH_LINK_SECRET_FILE: no file"):
        process("x", link_secret_file=tmp_path / "nowhere")
    with pytest.raises(KeyMissing, match="POVWATCH_CONTACT_KEY_FILE: no key"):
        process("y", contact_key_file=write(tmp_path / "empty"))


def test_compose_keeps_the_keys_on_a_volume_every_alerts_process_shares():
    import yaml

    root = Path(__file__).resolve().parent.parent
    compose = yaml.safe_load((root / "docker-compose.yml").read_text())
    for service in ("alerts", "monitor"):  # the monitor seals heads' names at ingest
        env = compose["services"][service]["environment"]
        volumes = compose["services"][service]["volumes"]
        mounts = {m.split(":")[1]: m.split(":")[0] for m in volumes}
        for name in ("POVWATCH_LINK_SECRET_FILE", "POVWATCH_CONTACT_KEY_FILE"):
            folder = str(Path(env[name]).parent)
            assert folder in mounts and mounts[folder] in compose["volumes"], (service, name)
        state = env["POVWATCH_STATE_DIR"]
        assert state in mounts  # the publish ledger outlives the container too
    assert Settings.model_fields["env"].default == "development"
