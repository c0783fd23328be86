"""Loads the dated policy file (TOML) and refuses a bad one with its entry
and reason (``domain.policy``). Both services read it: the monitor assesses
risk with it, the alerts assess clearance."""

from __future__ import annotations

from pathlib import Path

from domain.policy import PolicyBook
from services.infra.settings import Settings

DEFAULT_POLICY = Path(__file__).resolve().parent.parent / "defaults" / "policy.toml"


def load_policies(settings: Settings) -> PolicyBook:
    path = settings.policy_file or DEFAULT_POLICY
    return PolicyBook.from_toml(path.read_text(encoding="utf-8"), origin=str(path))
