"""Loads a rules file (YAML) and refuses a bad one with the line and reason."""

from __future__ import annotations

from pathlib import Path

from domain.rules import RuleBook
from services.infra.yamlfile import parse_model

DEFAULT_RULES = Path(__file__).resolve().parent.parent / "defaults" / "rules.yaml"


class RulesError(ValueError):
    pass


def parse_rules(text: str, origin: str = "rules") -> RuleBook:
    return parse_model(text, RuleBook, origin, RulesError, "a mapping with a 'rules' list")


def load_rules(path: Path | None) -> RuleBook:
    path = path or DEFAULT_RULES
    return parse_rules(path.read_text(encoding="utf-8"), origin=str(path))
