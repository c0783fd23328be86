"""Loads the notification file (YAML: receivers per township and role, their
grouping, quiet hours and where their secrets are) and refuses a bad one with
its line, as the rules and procedure files are. Secrets are read once at
start from the environment or a file; a missing one stops the process with
the receiver's name, never with the secret."""

from __future__ import annotations

import os
from pathlib import Path

from domain.notify import NotifyConfig, SecretRef
from services.infra.yamlfile import parse_model


class NotifyError(ValueError):
    pass


def parse_notify(text: str, origin: str = "notifications") -> NotifyConfig:
    return parse_model(text, NotifyConfig, origin, NotifyError, "a mapping with 'receivers'")


def load_notify(path: Path | None) -> NotifyConfig:
    """The file at ``path`` (POVWATCH_NOTIFY_FILE); without one, no receivers."""
    if path is None:
        return NotifyConfig()
    config = parse_notify(path.read_text(encoding="utf-8"), origin=str(path))
    for receiver in config.receivers:
        for ref in (receiver.key, receiver.secret):
            if ref is not None:
                read_secret(ref, f"receiver {receiver.id}")
    if config.smtp and config.smtp.password:
        read_secret(config.smtp.password, "smtp")
    return config


def read_secret(ref: SecretRef, owner: str = "") -> str:
    if ref.env is not None:
        value = os.environ.get(ref.env, "")
        if not value:
            raise NotifyError(f"{owner}: the environment variable {ref.env} is not set")
        return value
    path = Path(ref.file or "")
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise NotifyError(f"{owner}: cannot read the secret file {path} ({e.strerror})") from None
    if not value:
        raise NotifyError(f"{owner}: the secret file {path} is empty")
    return value
