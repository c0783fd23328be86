"""Under POVWATCH_ENV=production both services, as they are built at start,
warn about every development default still set (the local scripts' database
password, Kafka without TLS or SASL, a cookie sent over plain HTTP), naming
the setting and never its value; outside production they say nothing."""

from __future__ import annotations

import logging

from pydantic import SecretStr

from services.alerts.service import AlertsService
from services.infra.production import development_defaults
from services.monitor.bootstrap import open_monitor


def warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "services.infra.production" and r.levelno == logging.WARNING
    ]


def started(settings) -> None:
    open_monitor(settings).stop()
    AlertsService(settings).stop()


def test_both_services_warn_at_start_naming_each_default(store_settings, tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    settings = store_settings.model_copy(update={"env": "production", "state_dir": tmp_path})
    started(settings)
    found = warnings(caplog)
    named = lambda setting: [m for m in found if setting in m]  # noqa: E731
    assert len(named("POVWATCH_KAFKA_SECURITY_PROTOCOL is PLAINTEXT")) == 2  # each service
    assert len(named("POVWATCH_COOKIE_SECURE")) == 2
    password = named("POVWATCH_POSTGRES_PASSWORD")
    assert len(password) == (2 if settings.store == "postgres" else 0)  # SQLite has none
    assert not any(settings.postgres_password in m for m in found)  # the value is never logged
    caplog.clear()
    started(store_settings.model_copy(update={"state_dir": tmp_path}))  # development
    assert warnings(caplog) == []


def test_settings_for_production_leave_no_default_to_warn_about(base_settings):
    ready = base_settings.model_copy(
        update={
            "store": "postgres",
            "postgres_password": "a-password-of-its-own",
            "kafka_security_protocol": "SASL_SSL",
            "kafka_sasl_password": SecretStr("another"),
            "cookie_secure": True,
        }
    )
    assert development_defaults(ready) == []
    half = ready.model_copy(
        update={
            "kafka_security_protocol": "SASL_PLAINTEXT",
            "kafka_sasl_password": SecretStr("povwatch-dev"),
        }
    )
    found = development_defaults(half)
    assert len(found) == 2 and "without TLS" in found[0]
    assert "POVWATCH_KAFKA_SASL_PASSWORD" in found[1] and "povwatch-dev" not in found[1]
