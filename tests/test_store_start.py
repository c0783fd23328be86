"""Starting against a PostgreSQL server the settings misname: the start stops
at once with the cause and the setting to fix; a server not answering yet is
waited for. Against the real server: a wrong password is just a wrong one."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
import uuid

import pytest

from services.households.app import Households
from services.infra.settings import Settings
from services.infra.storecheck import StoreMisconfigured

WRONG = f"wrong-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def pg(base_settings: Settings, postgres_up, tmp_path) -> Settings:
    return base_settings.model_copy(
        update={"store": "postgres", "state_dir": tmp_path, "store_open_attempts": 20}
    )


def _start(command: str, pg: Settings, **env: str) -> tuple[subprocess.CompletedProcess, float]:
    """Runs ``povwatch <command>`` on ``pg``'s server with ``env`` changed."""
    environ = {
        **os.environ,
        "POVWATCH_STORE": "postgres",
        "POVWATCH_STATE_DIR": str(pg.state_dir),
        "POVWATCH_POSTGRES_HOST": pg.postgres_host,
        "POVWATCH_POSTGRES_PORT": str(pg.postgres_port),
        **env,
    }
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", command, "--no-http"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, time.monotonic() - began


def test_a_wrong_password_stops_the_monitor_with_the_setting_to_fix(pg: Settings) -> None:
    done, took = _start("monitor", pg, POVWATCH_POSTGRES_PASSWORD=WRONG)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert "POVWATCH_POSTGRES_PASSWORD" in lines[-1]
    assert f'user "{pg.postgres_user}"' in lines[-1]
    assert "Traceback" not in done.stderr
    assert WRONG not in done.stdout + done.stderr
    # Twenty tries would take over a minute; two consecutive refusals suffice.
    assert took < 40


def test_an_unknown_database_stops_the_alerts_with_the_setting_to_fix(pg: Settings) -> None:
    missing = f"nodb_{uuid.uuid4().hex[:8]}"
    done, took = _start("alerts", pg, POVWATCH_POSTGRES_DBNAME=missing)
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert f'database "{missing}" does not exist' in last
    assert "POVWATCH_POSTGRES_DBNAME" in last
    assert took < 40


def test_a_schema_that_does_not_exist_is_named(pg: Settings) -> None:
    s = pg.model_copy(update={"postgres_schema": f"noschema_{uuid.uuid4().hex[:8]}"})
    began = time.monotonic()
    with pytest.raises(StoreMisconfigured) as refused:
        s.open_store(lambda: Households(env=s.store_env("Monitor")))
    assert f'schema "{s.postgres_schema}" does not exist' in str(refused.value)
    assert "POVWATCH_POSTGRES_SCHEMA" in str(refused.value)
    assert time.monotonic() - began < 10


def test_a_schema_the_user_may_not_create_in_is_named(pg: Settings) -> None:
    """PostgreSQL's own information_schema: its user has no CREATE there."""
    s = pg.model_copy(update={"postgres_schema": "information_schema"})
    with pytest.raises(StoreMisconfigured) as refused:
        s.open_store(lambda: Households(env=s.store_env("Monitor")))
    assert f'user "{s.postgres_user}" may not create' in str(refused.value)
    assert "POVWATCH_POSTGRES_SCHEMA" in str(refused.value)


def test_a_port_nobody_listens_on_is_waited_for(pg: Settings, caplog) -> None:
    with socket.socket() as sock:  # a port free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    s = pg.model_copy(update={"postgres_port": port, "store_open_attempts": 2})
    with caplog.at_level(logging.WARNING, logger="services.infra.settings"):
        with pytest.raises(Exception) as failed:
            s.open_store(lambda: Households(env=s.store_env("Monitor")))
    assert not isinstance(failed.value, StoreMisconfigured)
    assert [r.getMessage() for r in caplog.records] == [
        "opening the store failed (OperationalError); trying again"
    ]
