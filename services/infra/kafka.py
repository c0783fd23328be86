"""Kafka at the edge: topics, producers and consumers built from Settings."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterable

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from services.infra.settings import Settings

log = logging.getLogger(__name__)


class BrokerUnavailable(RuntimeError):
    pass


def _admin(settings: Settings, wait_s: float) -> KafkaAdminClient:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return KafkaAdminClient(
                bootstrap_servers=settings.kafka_bootstrap,
                client_id="povwatch-admin",
                bootstrap_timeout_ms=int(min(max(wait_s, 1.0), 30.0) * 1000),
                **settings.kafka_security(),
            )
        except KafkaError as e:
            if time.monotonic() > deadline:
                hint = (
                    "start one with scripts/kafka.sh start or set POVWATCH_KAFKA_BOOTSTRAP"
                    if settings.kafka_security_protocol == "PLAINTEXT"
                    else f"or it refused {settings.kafka_security_protocol}: check the "
                    "POVWATCH_KAFKA_SASL_* and POVWATCH_KAFKA_SSL_* settings"
                )
                raise BrokerUnavailable(
                    f"no Kafka broker answers at {settings.kafka_bootstrap} ({e}); {hint}"
                ) from None
            time.sleep(0.5)


def ensure_topics(settings: Settings, wait_s: float = 30.0) -> None:
    """Creates the project's topics with several partitions (keys are
    household ids, so one household's events stay in order)."""
    wanted = {
        settings.events_topic: settings.events_partitions,
        settings.dlq_topic: settings.events_partitions,
        settings.tasks_topic: settings.events_partitions,
        settings.cases_topic: settings.events_partitions,
    }
    admin = _admin(settings, wait_s)
    try:
        existing = set(admin.list_topics())
        missing = [NewTopic(t, n, 1) for t, n in wanted.items() if t not in existing]
        if missing:
            try:
                admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass
            log.info("created topics %s", [t.name for t in missing])
    finally:
        admin.close()


def reachable(settings: Settings, timeout: float = 1.0) -> bool:
    """True when a bootstrap broker accepts a TCP connection (readiness checks)."""
    for server in settings.kafka_bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
        except (OSError, ValueError):
            continue
        return True
    return False


def producer(settings: Settings, **overrides: object) -> KafkaProducer:
    config: dict[str, object] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "acks": "all",
        "linger_ms": 5,
        # Ride out a broker restart (leaders are re-elected within seconds).
        "retries": 20,
        "retry_backoff_ms": 500,
        **settings.kafka_security(),
    }
    config.update(overrides)
    return KafkaProducer(**config)


Message = tuple[bytes | None, bytes, list[tuple[str, bytes]]]  # key, value, headers


class Publisher:
    """Sends a batch and waits for the broker's acknowledgement of each
    message. A producer that failed to deliver is replaced before the error
    is raised: after a broker restart a producer can keep a stale view of the
    partitions' leaders and time out every later send, so the caller's retry
    (the same batch, its position not yet recorded) goes through a new one."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.producer = producer(settings)

    def send_all(self, topic: str, messages: Iterable[Message], timeout_s: float = 30) -> None:
        futures = [self.producer.send(topic, key=k, value=v, headers=h) for k, v, h in messages]
        try:
            self.producer.flush(timeout=timeout_s)
            for f in futures:
                f.get(timeout=timeout_s)
        except KafkaError:
            self.renew()
            raise

    def renew(self) -> None:
        old, self.producer = self.producer, producer(self.settings)
        log.warning("replaced a Kafka producer that failed to deliver")
        try:
            old.close(timeout=0)  # its unsent records are the caller's to retry
        except KafkaError:
            pass

    def close(self) -> None:
        self.producer.close()


def consumer(settings: Settings, group: str, **overrides: object) -> KafkaConsumer:
    config: dict[str, object] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "group_id": group,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "max_poll_records": 2000,  # a poll is one transaction per partition
        "max_partition_fetch_bytes": 4 * 1024 * 1024,
        # A killed process's partitions move to the others this soon.
        "session_timeout_ms": settings.kafka_session_timeout_ms,
        "heartbeat_interval_ms": max(settings.kafka_session_timeout_ms // 4, 1000),
        **settings.kafka_security(),
    }
    config.update(overrides)
    return KafkaConsumer(**config)
