"""Reads a YAML settings file into a pydantic model, and refuses a bad one
with ``origin:line: field: message`` for each problem: whoever edits the file
(the rules, the procedure) finds the line to fix without reading code."""

from __future__ import annotations

from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


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


def parse_model(
    text: str,
    model: type[M],
    origin: str,
    error_class: type[ValueError],
    expected: str = "a mapping",
) -> M:
    """``text`` validated as ``model``; a YAML or validation problem raises
    ``error_class`` naming the file (``origin``), the line and the field."""
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = str(mark.line + 1) if mark else "?"
        raise error_class(f"{origin}:{where}: not valid YAML: {getattr(e, 'problem', e)}") from None
    if node is None or not isinstance(data, dict):
        raise error_class(f"{origin}:1: expected {expected}")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors(include_url=False):
            loc = tuple(err["loc"])
            problems.append(
                f"{origin}:{_line(node, loc)}: {'.'.join(map(str, loc)) or '(top)'}: {err['msg']}"
            )
        raise error_class("\n".join(problems)) from None
