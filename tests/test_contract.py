"""The published contract documents match the code."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from schemas.events import EVENT_MODELS
from services.infra.settings import Settings

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


def test_asyncapi_documents_every_topic_the_monitor_reads_or_writes():
    doc = yaml.safe_load((SCHEMAS / "asyncapi.yaml").read_text())
    addresses = {c["address"] for c in doc["channels"].values()}
    s = Settings()
    assert {s.events_topic, s.dlq_topic, s.tasks_topic} <= addresses
    task_ref = doc["components"]["messages"]["task"]["payload"]["schema"]["$ref"]
    task_schema = json.loads((SCHEMAS / task_ref).read_text())
    assert {
        "task_id",
        "version",
        "household_id",
        "township",
        "factors",
        "suggested_measures",
        "visit_due",
        "status",
    } <= set(task_schema["properties"])
    ref = doc["components"]["messages"]["departmentEvent"]["payload"]["schema"]["$ref"]
    schema = json.loads((SCHEMAS / ref).read_text())
    tags = set(schema["discriminator"]["mapping"])
    assert tags == set(EVENT_MODELS)


def test_asyncapi_names_every_message_type_and_its_examples_are_valid():
    from schemas.events import parse_object

    message = yaml.safe_load((SCHEMAS / "asyncapi.yaml").read_text())["components"]["messages"][
        "departmentEvent"
    ]
    assert all(f"`{kind}`" in message["description"] for kind in EVENT_MODELS)
    for example in message["examples"]:
        assert parse_object(example["payload"]).type == example["payload"]["type"]
