"""A proposed policy or rules file read as the services' loaders read it
(``domain.policy``, ``services.infra.rulefile``), its refusal kept as the
loader words it, with the line and field it names: the CLI prints it, the
county office's page words it in Chinese."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.policy import PolicyBook, PolicyError
from domain.rules import RuleBook
from services.infra.rulefile import RulesError, parse_rules

_TOML_AT = re.compile(r"\(at line (\d+), column \d+\)")
_HEADER = re.compile(r"^\s*\[\[\s*policy\s*\]\]")
# services.infra.yamlfile: "origin:line: field: message", one problem a line.
_YAML_PROBLEM = re.compile(r"^.*?:(\d+|\?): (?:([\w.]+|\(top\)): )?(.*)$")


@dataclass(frozen=True)
class Problem:
    line: int | None
    field: str | None
    message: str


class FileRefused(ValueError):
    """A proposed file that cannot be used: ``kind`` is "policy" or "rules",
    ``problems`` each say where; the text is the loader's."""

    def __init__(self, kind: str, text: str, problems: list[Problem]) -> None:
        super().__init__(text)
        self.kind, self.problems = kind, problems


def read_policy(text: str, origin: str = "policy") -> PolicyBook:
    try:
        return PolicyBook.from_toml(text, origin)
    except PolicyError as e:
        raise FileRefused("policy", str(e), [_policy_problem(text, e)]) from None


def read_rules(text: str, origin: str = "rules") -> RuleBook:
    try:
        return parse_rules(text, origin)
    except RulesError as e:
        raise FileRefused(
            "rules", str(e), [_rules_problem(m) for m in str(e).splitlines()]
        ) from None


def _policy_problem(text: str, e: PolicyError) -> Problem:
    message = str(e)
    at = _TOML_AT.search(message)
    if at:
        return Problem(int(at.group(1)), None, message)
    if e.entry is None:
        return Problem(None, e.field, message)
    return Problem(_field_line(text, e.entry, e.field), e.field, message)


def _field_line(text: str, entry: int, field: str | None) -> int | None:
    """The line of ``field`` in the ``entry``th [[policy]] table, else of its header."""
    seen, header = 0, None
    for number, line in enumerate(text.splitlines(), 1):
        if _HEADER.match(line):
            seen += 1
            if seen > entry:
                break
            if seen == entry:
                header = number
            continue
        if seen == entry and field and re.match(rf"^\s*{re.escape(field)}\s*=", line):
            return number
    return header


def _rules_problem(line: str) -> Problem:
    m = _YAML_PROBLEM.match(line)
    if m is None:
        return Problem(None, None, line)
    number = int(m.group(1)) if m.group(1).isdigit() else None
    return Problem(number, m.group(2), line)
