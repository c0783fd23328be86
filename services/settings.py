"""Configuration from the environment (prefix POVWATCH_), with defaults that
match the project's own scripts (scripts/kafka.sh, scripts/postgres.sh)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POVWATCH_", extra="ignore", env_ignore_empty=True)

    state_dir: Path = Field(Path(".povwatch"), description="local state (publish ledger)")
    store: Literal["sqlite", "postgres"] = Field("sqlite", description="event store")
    sqlite_dir: Path = Field(Path(".povwatch/store"), description="folder of the SQLite files")
    postgres_host: str = "127.0.0.1"
    postgres_port: int = 55432
    postgres_dbname: str = "povwatch"
    postgres_user: str = "povwatch"
    postgres_password: str = "povwatch"
    postgres_schema: str = "public"

    kafka_bootstrap: str = "127.0.0.1:9092"
    events_topic: str = "povwatch.events"
    dlq_topic: str = "povwatch.events.dlq"
    tasks_topic: str = "povwatch.tasks"
    events_partitions: int = Field(4, ge=1)
    monitor_group: str = "povwatch-monitor"

    policy_file: Path | None = Field(None, description="dated thresholds (TOML)")
    rules_file: Path | None = Field(None, description="alert rules (YAML)")
    monitor_port: int = 8081
    alerts_port: int = 8082
    log_level: str = "INFO"

    def store_env(self, name: str) -> dict[str, str]:
        """The eventsourcing library's environment for one application or view."""
        if self.store == "sqlite":
            self.sqlite_dir.mkdir(parents=True, exist_ok=True)
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.sqlite_dir / f"{name.lower()}.db"),
                "SQLITE_LOCK_TIMEOUT": "30",
            }
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": self.postgres_dbname,
            "POSTGRES_HOST": self.postgres_host,
            "POSTGRES_PORT": str(self.postgres_port),
            "POSTGRES_USER": self.postgres_user,
            "POSTGRES_PASSWORD": self.postgres_password,
            "POSTGRES_SCHEMA": self.postgres_schema,
            "POSTGRES_CONNECT_TIMEOUT": "10",
            "PROCESS_RECORDER_TOPIC": "services.pgstore:ArrayInsertProcessRecorder",
        }
