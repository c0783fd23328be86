"""Fixtures on the real infrastructure. Kafka and PostgreSQL must be running
(scripts/kafka.sh start, scripts/postgres.sh start): a missing one fails the
run, it never skips it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from services.infra import kafka
from services.infra.settings import Settings


def _postgres_dsn(s: Settings) -> str:
    return (
        f"host={s.postgres_host} port={s.postgres_port} dbname={s.postgres_dbname} "
        f"user={s.postgres_user} password={s.postgres_password} connect_timeout=5"
    )


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def kafka_up(base_settings: Settings) -> None:
    try:
        kafka.ensure_topics(base_settings, wait_s=20)
    except kafka.BrokerUnavailable as e:
        pytest.fail(f"Kafka is required for these tests: {e}", pytrace=False)


@pytest.fixture(scope="session")
def postgres_up(base_settings: Settings) -> None:
    try:
        psycopg.connect(_postgres_dsn(base_settings)).close()
    except psycopg.OperationalError as e:
        pytest.fail(
            f"PostgreSQL is required for these tests (scripts/postgres.sh start): {e}",
            pytrace=False,
        )


def _fresh_schema(settings: Settings) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_postgres_dsn(settings), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    return name


def _drop_schema(settings: Settings, name: str) -> None:
    with psycopg.connect(_postgres_dsn(settings), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
def store_settings(request, base_settings: Settings, tmp_path) -> Iterator[Settings]:
    """Settings for an empty store of each kind (the same tests run on both)."""
    if request.param == "sqlite":
        yield base_settings.model_copy(update={"store": "sqlite", "sqlite_dir": tmp_path / "store"})
        return
    request.getfixturevalue("postgres_up")
    schema = _fresh_schema(base_settings)
    yield base_settings.model_copy(update={"store": "postgres", "postgres_schema": schema})
    _drop_schema(base_settings, schema)


def _with_own_topics(settings: Settings) -> Settings:
    run = uuid.uuid4().hex[:10]
    s = settings.model_copy(
        update={
            "events_topic": f"povwatch.events.{run}",
            "dlq_topic": f"povwatch.events.dlq.{run}",
            "tasks_topic": f"povwatch.tasks.{run}",
            "cases_topic": f"povwatch.cases.{run}",
            "monitor_group": f"povwatch-monitor-{run}",
        }
    )
    kafka.ensure_topics(s)
    return s


@pytest.fixture
def settings(store_settings: Settings, kafka_up) -> Settings:
    """A store of each kind plus topics of this test's own on the real broker."""
    return _with_own_topics(store_settings)


@pytest.fixture
def broker_settings(base_settings: Settings, kafka_up) -> Settings:
    """Topics of this test's own on the real broker, for tests without a store."""
    return _with_own_topics(base_settings)
