"""Loads the procedure file (YAML: stages, roles, deadlines, calendar) and
refuses a bad one with its line and reason, so a county's edit that breaks
the procedure stops the process at start instead of misrouting cases."""

from __future__ import annotations

from pathlib import Path

from domain.procedure import Procedure
from services.infra.yamlfile import parse_model

DEFAULT_PROCEDURE = Path(__file__).resolve().parent.parent / "defaults" / "procedure.yaml"


class ProcedureError(ValueError):
    pass


def parse_procedure(text: str, origin: str = "procedure") -> Procedure:
    return parse_model(
        text, Procedure, origin, ProcedureError, "a mapping with 'stages' and 'kinds'"
    )


def load_procedure(path: Path | None) -> Procedure:
    """The file at ``path`` (POVWATCH_PROCEDURE_FILE), or the packaged default."""
    path = path or DEFAULT_PROCEDURE
    return parse_procedure(path.read_text(encoding="utf-8"), origin=str(path))
