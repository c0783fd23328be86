"""Fixtures on the real infrastructure. Kafka and PostgreSQL must be running
(scripts/kafka.sh start, scripts/postgres.sh start): a missing one fails the
run, it never skips it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from kafka import KafkaAdminClient
from kafka.errors import KafkaError

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


@contextmanager
def own_topics(settings: Settings) -> Iterator[Settings]:
    """Topics and a consumer group of this test's own, deleted afterwards: a
    broker that kept every test's partitions would restart (the fault tests
    restart it) and answer more and more slowly as the suite goes on."""
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
    try:
        yield s
    finally:
        _delete_topics(s)


def _delete_topics(s: Settings) -> None:
    topics = [s.events_topic, s.dlq_topic, s.tasks_topic, s.cases_topic]
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=s.kafka_bootstrap, request_timeout_ms=10000, **s.kafka_security()
        )
    except KafkaError:
        return  # a test that stopped the broker for good leaves its topics
    try:
        admin.delete_topics(topics)
    except KafkaError:
        pass  # some were never created, or the broker is still coming back
    finally:
        admin.close()


@pytest.fixture
def settings(store_settings: Settings, kafka_up) -> Iterator[Settings]:
    """A store of each kind plus topics of this test's own on the real broker."""
    with own_topics(store_settings) as s:
        yield s


@pytest.fixture
def broker_settings(base_settings: Settings, kafka_up) -> Iterator[Settings]:
    """Topics of this test's own on the real broker, for tests without a store."""
    with own_topics(base_settings) as s:
        yield s
