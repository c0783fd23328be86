"""Kafka security settings reach every client: a real broker listener that
requires SASL/PLAIN sign-in (scripts/kafka.sh opens it on 9094) takes
povwatch's producer, consumer and admin client with the right password and
refuses them with a wrong one."""

from __future__ import annotations

import os
import uuid

import pytest
from pydantic import SecretStr

from services.infra import kafka
from services.infra.settings import Settings

SASL_PORT = int(os.environ.get("POVWATCH_KAFKA_SASL_PORT", "9094"))
PASSWORD = os.environ.get("POVWATCH_KAFKA_SASL_DEV_PASSWORD", "povwatch-dev")


def sasl(base: Settings, password: str) -> Settings:
    run = uuid.uuid4().hex[:8]
    return base.model_copy(
        update={
            "kafka_bootstrap": f"127.0.0.1:{SASL_PORT}",
            "kafka_security_protocol": "SASL_PLAINTEXT",
            "kafka_sasl_mechanism": "PLAIN",
            "kafka_sasl_username": "povwatch",
            "kafka_sasl_password": SecretStr(password),
            "events_topic": f"povwatch.events.sasl.{run}",
            "dlq_topic": f"povwatch.events.dlq.sasl.{run}",
            "tasks_topic": f"povwatch.tasks.sasl.{run}",
        }
    )


def test_signed_in_clients_publish_and_consume(base_settings, kafka_up):
    settings = sasl(base_settings, PASSWORD)
    kafka.ensure_topics(settings, wait_s=10)
    producer = kafka.producer(settings)
    producer.send(settings.events_topic, key=b"H-1", value=b"signed in").get(timeout=30)
    producer.close()
    consumer = kafka.consumer(settings, f"sasl-{uuid.uuid4().hex[:8]}", consumer_timeout_ms=10_000)
    consumer.subscribe([settings.events_topic])
    assert [m.value for m in consumer] == [b"signed in"]
    consumer.close()


def test_a_wrong_password_is_refused_with_a_pointer_to_the_settings(base_settings, kafka_up):
    with pytest.raises(kafka.BrokerUnavailable, match="POVWATCH_KAFKA_SASL_"):
        kafka.ensure_topics(sasl(base_settings, "wrong"), wait_s=1)


def test_incomplete_settings_are_named():
    with pytest.raises(ValueError, match="POVWATCH_KAFKA_SASL_MECHANISM"):
        Settings(kafka_security_protocol="SASL_SSL").kafka_security()
    with pytest.raises(ValueError, match="POVWATCH_KAFKA_SSL_CAFILE: no file"):
        Settings(
            kafka_security_protocol="SSL", kafka_ssl_cafile="/nonexistent/ca.pem"
        ).kafka_security()
    options = Settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="u",
        kafka_sasl_password="p",
    ).kafka_security()
    assert options == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "u",
        "sasl_plain_password": "p",
    }
    assert "p" not in repr(Settings(kafka_sasl_password="p").kafka_sasl_password)
