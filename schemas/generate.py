"""Writes the JSON Schema files from the pydantic models.

python -m schemas.generate          # rewrite schemas/json/
python -m schemas.generate --check  # exit 1 when a file is out of date
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from schemas.cases import CaseOut, MonitoringOut
from schemas.events import event_adapter
from schemas.status import RiskStatusOut
from schemas.tasks import TaskOut

HERE = Path(__file__).resolve().parent / "json"


def documents() -> dict[str, dict[str, Any]]:
    return {
        "department-event.schema.json": event_adapter.json_schema(),
        "risk-status.schema.json": RiskStatusOut.model_json_schema(),
        "task.schema.json": TaskOut.model_json_schema(),
        "case.schema.json": CaseOut.model_json_schema(),
        "monitoring.schema.json": MonitoringOut.model_json_schema(),
    }


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def stale() -> list[str]:
    return [
        name
        for name, doc in documents().items()
        if not (HERE / name).exists() or (HERE / name).read_text(encoding="utf-8") != render(doc)
    ]


def main() -> int:
    if "--check" in sys.argv:
        out = stale()
        for name in out:
            print(f"out of date: schemas/json/{name} (run python -m schemas.generate)")
        return 1 if out else 0
    HERE.mkdir(exist_ok=True)
    for name, doc in documents().items():
        (HERE / name).write_text(render(doc), encoding="utf-8")
        print(f"wrote schemas/json/{name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
