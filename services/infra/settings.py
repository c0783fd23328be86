"""Configuration from the environment (prefix POVWATCH_), with defaults that
match the project's own scripts (scripts/kafka.sh, scripts/postgres.sh)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain import countyday


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POVWATCH_", extra="ignore", env_ignore_empty=True)

    env: Literal["development", "production"] = Field(
        "development",
        description="production: warn at start about every setting left at its development "
        "default (passwords, PLAINTEXT Kafka, keys in the state directory)",
    )
    state_dir: Path = Field(Path(".povwatch"), description="local state (publish ledger)")
    store: Literal["sqlite", "postgres"] = Field("sqlite", description="event store")
    sqlite_dir: Path = Field(Path(".povwatch/store"), description="folder of the SQLite files")
    postgres_host: str = "127.0.0.1"
    postgres_port: int = 55432
    postgres_dbname: str = "povwatch"
    postgres_user: str = "povwatch"
    postgres_password: str = "povwatch"
    postgres_schema: str = "public"
    cipher_key: SecretStr | None = Field(
        None,
        description="encrypt the event stores at rest with AES-256-GCM "
        "(a key from `povwatch cipher-key`; every process needs the same one)",
    )

    kafka_bootstrap: str = "127.0.0.1:9092"
    # Kafka security (docs/security.md): SASL sign-in and/or TLS to the brokers.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = Field(
        None, description="CA bundle that signed the brokers' certificates"
    )
    kafka_ssl_certfile: Path | None = Field(None, description="client certificate (mutual TLS)")
    kafka_ssl_keyfile: Path | None = Field(None, description="client private key (mutual TLS)")
    events_topic: str = "povwatch.events"
    dlq_topic: str = "povwatch.events.dlq"
    tasks_topic: str = "povwatch.tasks"
    cases_topic: str = "povwatch.cases"
    events_partitions: int = Field(4, ge=1)
    monitor_group: str = "povwatch-monitor"
    kafka_session_timeout_ms: int = Field(
        10_000, ge=6_000, description="how soon the group notices a dead consumer"
    )
    monitor_roles: str = Field(
        "ingest,project",
        description="what a monitor process does: ingest (shared through the consumer group) "
        "and/or project (any number offer; one leads at a time)",
    )

    monitor_cache_mb: int = Field(
        256,
        ge=0,
        description="memory a monitor process gives its households' compact copies "
        "(stream heads, aggregates), shared between its roles; 0 keeps only the recent ones",
    )

    alerts_cache_mb: int = Field(
        128,
        ge=0,
        description="memory the alerts process gives its households' compact copies "
        "(the facts its rules read); 0 keeps only the recent ones",
    )

    store_open_attempts: int = Field(20, ge=1, description="tries to open the store at start")
    policy_file: Path | None = Field(None, description="dated thresholds (TOML)")
    rules_file: Path | None = Field(None, description="alert rules (YAML)")
    public_url: str = Field(
        "http://localhost:8082",
        description="the alerts service's address as households and staff reach it "
        "(links on household cards and in pushed messages)",
    )
    link_secret: SecretStr | None = Field(
        None,
        description="signs the links on household cards (default: link_secret_file, else a "
        "secret made once in the state directory; losing it means printing the cards again); "
        "earlier secrets after the first, separated by spaces, still verify links",
    )
    link_secret_file: Path | None = Field(
        None, description="a file holding the link secret (a mounted secret), one key a line"
    )
    contact_key: SecretStr | None = Field(
        None,
        description="encrypts the contacts households outside the registry leave (default: "
        "contact_key_file, else a key made once in the state directory; `povwatch cipher-key` "
        "makes one); earlier keys after the first still open contacts",
    )
    contact_key_file: Path | None = Field(
        None, description="a file holding the contact key (a mounted secret), one key a line"
    )
    token_days: int = Field(
        365, ge=1, description="how long an issued token works (`accounts issue --days`)"
    )
    session_hours: int = Field(
        12, ge=1, description="how long an inbox sign-in lasts (never past its token's expiry)"
    )
    notify_file: Path | None = Field(
        None, description="receivers of pushes (YAML); without one nothing is pushed"
    )
    procedure_file: Path | None = Field(
        None, description="the monitoring procedure: stages, roles, deadlines, calendar (YAML)"
    )
    feeds_file: Path | None = Field(
        None, description="each department's expected cadence, for the silence alert (TOML)"
    )
    pdf_font: Path | None = Field(
        None,
        description="a TrueType/OpenType font with Chinese glyphs for printed notices "
        "(default: the one fontconfig finds for Chinese)",
    )
    county_zone: str = Field(
        countyday.DEFAULT,
        description="the county's time zone (IANA name): every today, deadline, month, "
        "schedule and quiet hour is a date or time on its clock",
    )
    monitor_port: int = 8081
    alerts_port: int = 8082
    log_level: str = "INFO"
    cookie_secure: bool = Field(
        False, description="send the inbox's sign-in cookie over HTTPS only (set it behind TLS)"
    )
    trusted_proxies: str = Field(
        "",
        description="addresses or networks (comma-separated) of the reverse proxies whose "
        "X-Forwarded-For names the client; no one's by default",
    )
    declare_posts_per_hour: int = Field(
        200, ge=1, description="declarations /declare takes in an hour, every address together"
    )

    # Request bodies and workbooks (docs/security.md): refused before they are parsed.
    form_max_kb: int = Field(
        64, ge=1, description="the largest body of sign-in, a form or a JSON request (KiB)"
    )
    upload_max_mb: int = Field(
        50, ge=1, description="the largest department file `POST /uploads` takes (MiB)"
    )
    workbook_max_mb: int = Field(
        256,
        ge=1,
        description="the most a department's XLSX may declare it inflates to, all its parts (MiB)",
    )
    workbook_max_ratio: int = Field(
        100, ge=2, description="the most one part of an XLSX may inflate to, times its packed size"
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        for item in _items(value):
            try:
                ipaddress.ip_network(item)  # as uvicorn reads it: host bits unset
            except ValueError:
                raise ValueError(f"not an address or network: {item!r}") from None
        return value

    def proxies(self) -> list[str]:
        """The trusted proxies, as uvicorn's ``forwarded_allow_ips`` takes them."""
        return _items(self.trusted_proxies)

    @field_validator("county_zone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        countyday.zone_named(name)
        return name

    def kafka_security(self) -> dict[str, object]:
        """kafka-python's security options for every client povwatch makes."""
        protocol = self.kafka_security_protocol
        options: dict[str, object] = {"security_protocol": protocol}
        if protocol.startswith("SASL"):
            if not (
                self.kafka_sasl_mechanism and self.kafka_sasl_username and self.kafka_sasl_password
            ):
                raise ValueError(
                    f"POVWATCH_KAFKA_SECURITY_PROTOCOL={protocol} needs POVWATCH_KAFKA_SASL_MECHANISM, "
                    "POVWATCH_KAFKA_SASL_USERNAME and POVWATCH_KAFKA_SASL_PASSWORD"
                )
            options.update(
                sasl_mechanism=self.kafka_sasl_mechanism,
                sasl_plain_username=self.kafka_sasl_username,
                sasl_plain_password=self.kafka_sasl_password.get_secret_value(),
            )
        if protocol.endswith("SSL"):
            for name in ("cafile", "certfile", "keyfile"):
                path = getattr(self, f"kafka_ssl_{name}")
                if path is not None:
                    if not path.is_file():
                        raise ValueError(f"POVWATCH_KAFKA_SSL_{name.upper()}: no file {path}")
                    options[f"ssl_{name}"] = str(path)
        return options

    def roles(self) -> set[str]:
        roles = {r.strip() for r in self.monitor_roles.split(",") if r.strip()}
        unknown = roles - {"ingest", "project"}
        if unknown:
            raise ValueError(f"POVWATCH_MONITOR_ROLES: unknown role(s) {sorted(unknown)}")
        return roles

    def open_store(self, make, what: str = "the store"):
        """Calls ``make`` (which opens a store and creates its tables), again
        after a short wait when it fails: two processes starting together on
        a fresh database race to create the same tables, and a database that
        is still starting refuses connections. A cause no wait cures (a wrong
        password, a database or schema that does not exist), found on two
        tries in a row, raises ``StoreMisconfigured`` naming the setting to fix."""
        import logging
        import time

        from services.infra.storecheck import StoreMisconfigured, permanent_cause

        last_cause = None
        for attempt in range(1, self.store_open_attempts + 1):
            try:
                return make()
            except Exception as e:
                cause = permanent_cause(e, self)
                last = attempt == self.store_open_attempts
                if cause is not None and (cause == last_cause or last):
                    raise StoreMisconfigured(f"cannot open {what}: {cause}") from None
                if last:
                    raise
                last_cause = cause
                logging.getLogger(__name__).warning(
                    "opening %s failed (%s); trying again", what, cause or type(e).__name__
                )
                time.sleep(min(0.5 * attempt, 5.0))

    def store_env(self, name: str) -> dict[str, str]:
        """The eventsourcing library's environment for one application or view."""
        cipher = (
            {}
            if self.cipher_key is None
            else {
                # The library's cipher: each stored event's state is encrypted.
                "CIPHER_TOPIC": "eventsourcing.cipher:AESCipher",
                "CIPHER_KEY": self.cipher_key.get_secret_value(),
            }
        )
        if self.store == "sqlite":
            self.sqlite_dir.mkdir(parents=True, exist_ok=True)
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.sqlite_dir / f"{name.lower()}.db"),
                "SQLITE_LOCK_TIMEOUT": "30",
                **cipher,
            }
        return {
            **cipher,
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": self.postgres_dbname,
            "POSTGRES_HOST": self.postgres_host,
            "POSTGRES_PORT": str(self.postgres_port),
            "POSTGRES_USER": self.postgres_user,
            "POSTGRES_PASSWORD": self.postgres_password,
            "POSTGRES_SCHEMA": self.postgres_schema,
            "POSTGRES_CONNECT_TIMEOUT": "3",  # per try; the library tries 10 times
            "POSTGRES_PRE_PING": "y",  # a pooled connection broken by a server restart is replaced
            # Each application and view has its own pool; a service holds about
            # eight, so keep few idle connections each and open more on demand.
            "POSTGRES_POOL_SIZE": "2",
            "POSTGRES_MAX_OVERFLOW": "8",
            "PROCESS_RECORDER_TOPIC": "services.infra.pgstore:ArrayInsertProcessRecorder",
        }


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]
