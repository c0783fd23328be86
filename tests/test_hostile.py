"""Hostile input: every message of a corpus of thousands goes to the DLQ with
a reason, none is stored, the monitor keeps running; the same corpus through
`povwatch publish` gives a rejection report and no crash."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from typer.testing import CliRunner

from schemas.events import Rejection, parse_event
from services.cli import app
from services.monitor.bootstrap import open_monitor
from tests.faults import SCALE, dead_letter_origins, publish
from tests.helpers import wait_for
from tests.hostile import HANDWRITTEN, MUTATIONS, base_messages, corpus

BASE = base_messages()


def rejected(key: bytes | None, raw: bytes) -> bool:
    try:
        ev = parse_event(raw)
    except Rejection as r:
        assert r.errors and all("field" in e and e["message"] for e in r.errors)
        return True
    return key is not None and key != ev.household_id.encode()  # the ingestor refuses it


@hsettings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mutation=st.sampled_from(MUTATIONS),
    rng=st.randoms(use_true_random=False),
    message=st.sampled_from(BASE),
)
def test_every_mutation_is_refused_with_a_reason(mutation, rng, message):
    key, raw = mutation(json.loads(json.dumps(message)), rng)
    assert rejected(key, raw), (mutation.__name__, raw[:300])


def test_handwritten_cases_are_refused():
    for key, raw, what in HANDWRITTEN:
        assert rejected(key, raw), what


def test_the_monitor_dead_letters_a_hostile_corpus_and_stores_nothing(settings):
    items = corpus(2_000 * SCALE) + HANDWRITTEN  # POVWATCH_FAULT_SCALE=5: 10,000
    with open_monitor(settings) as service:
        offsets = publish(settings, [(k, v) for k, v, _ in items])
        wait_for(
            lambda: len(set(dead_letter_origins(settings, timeout=2))) == len(items),
            timeout=120,
            what="every hostile message in the DLQ",
        )
        assert not service.stop_event.is_set()  # still running
        assert (service.households.recorder.max_notification_id() or 0) == 0  # nothing stored
    assert set(dead_letter_origins(settings)) == set(offsets)


def test_publish_reports_every_hostile_row_and_does_not_crash(broker_settings, tmp_path):
    file = tmp_path / "hostile.jsonl"
    # A file has no Kafka key; blank lines are no rows.
    rows = [raw.replace(b"\n", b" ") for key, raw, name in corpus(10_000) if name != "key_mismatch"]
    rows = [r for r in rows if r.strip()]
    file.write_bytes(b"\n".join(rows) + b"\n")
    env = {
        "POVWATCH_KAFKA_BOOTSTRAP": broker_settings.kafka_bootstrap,
        "POVWATCH_EVENTS_TOPIC": broker_settings.events_topic,
        "POVWATCH_STATE_DIR": str(tmp_path / "state"),
    }
    result = CliRunner().invoke(app, ["publish", str(file), "--source", "agriculture"], env=env)
    assert result.exit_code == 1, result.output
    assert "published 0," in result.output
    report = (tmp_path / "hostile.jsonl.rejections.csv").read_text().splitlines()
    reported_rows = {line.split(",")[0] for line in report[1:]}
    assert len(reported_rows) == len(rows)
