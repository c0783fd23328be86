"""Loads a rules file (YAML) and refuses a bad one with the line and reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from domain.rules import RuleBook

DEFAULT_RULES = Path(__file__).resolve().parent.parent / "defaults" / "rules.yaml"


class RulesError(ValueError):
    pass


def _line(node: yaml.Node, path: tuple[Any, ...]) -> int:
    """The 1-based line of the deepest node the error path reaches."""
    for part in path:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == part), None)
            if match is None:
                break
            node = match
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
        else:
            break
    return node.start_mark.line + 1


def parse_rules(text: str, origin: str = "rules") -> RuleBook:
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = str(mark.line + 1) if mark else "?"
        raise RulesError(f"{origin}:{where}: not valid YAML: {getattr(e, 'problem', e)}") from None
    if node is None or not isinstance(data, dict):
        raise RulesError(f"{origin}:1: expected a mapping with a 'rules' list")
    try:
        return RuleBook.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors(include_url=False):
            loc = tuple(err["loc"])
            problems.append(
                f"{origin}:{_line(node, loc)}: {'.'.join(map(str, loc)) or '(top)'}: {err['msg']}"
            )
        raise RulesError("\n".join(problems)) from None


def load_rules(path: Path | None) -> RuleBook:
    path = path or DEFAULT_RULES
    return parse_rules(path.read_text(encoding="utf-8"), origin=str(path))
