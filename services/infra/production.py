"""What a production deployment must not keep of the development defaults
(the local scripts' database password, Kafka without TLS or SASL, the
local broker's SASL password, a sign-in cookie sent over plain HTTP).
Under POVWATCH_ENV=production each one found is logged as a warning when a
service starts, naming the setting and never its value; the service still
starts, since some deployments reach their database or broker over a
network they trust."""

from __future__ import annotations

import logging

from services.infra.settings import Settings

log = logging.getLogger(__name__)

# The local scripts' own credentials (scripts/postgres.sh, scripts/kafka.sh).
DEV_POSTGRES_PASSWORD = "povwatch"
DEV_KAFKA_SASL_PASSWORD = "povwatch-dev"


def development_defaults(settings: Settings) -> list[str]:
    """Each setting left at a development default, in words that name it."""
    found = []
    if settings.store == "postgres" and settings.postgres_password == DEV_POSTGRES_PASSWORD:
        found.append(
            "POVWATCH_POSTGRES_PASSWORD is the local scripts' default: give the database "
            "account a password of its own"
        )
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        found.append(
            "POVWATCH_KAFKA_SECURITY_PROTOCOL is PLAINTEXT: the brokers are reached without "
            "TLS or a sign-in; use SASL_SSL"
        )
    elif protocol == "SASL_PLAINTEXT":
        found.append(
            "POVWATCH_KAFKA_SECURITY_PROTOCOL is SASL_PLAINTEXT: the brokers are reached "
            "without TLS; use SASL_SSL"
        )
    password = settings.kafka_sasl_password
    if password is not None and password.get_secret_value() == DEV_KAFKA_SASL_PASSWORD:
        found.append("POVWATCH_KAFKA_SASL_PASSWORD is the local broker's default")
    if not settings.cookie_secure:
        found.append(
            "POVWATCH_COOKIE_SECURE is false: the inbox's sign-in cookie is also sent over "
            "plain HTTP; serve it behind TLS and set it to true"
        )
    return found


def warn_development_defaults(settings: Settings) -> None:
    if settings.env != "production":
        return
    for problem in development_defaults(settings):
        log.warning("production with a development default: %s", problem)
