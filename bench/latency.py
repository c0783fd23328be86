"""Alert latency: publish to task message under a steady background load."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta
from typing import Any

from bench.common import TODAY, Run, county_stream, log, start_alerts, start_monitor, stop
from services.infra import kafka
from services.infra.settings import Settings
from synthetic.county import encode


def alert_latency(base: Settings, seconds: float, background_rate: float) -> list[float]:
    """Publish to task message at a steady background load: a probe household
    (yellow card, income below the line) every half second."""
    run = Run(base, "latency")
    monitor = start_monitor(run, "ingest,project")
    alerts = start_alerts(run)
    sent: dict[str, float] = {}
    got: dict[str, float] = {}
    stop_flag = threading.Event()

    def listen() -> None:
        consumer = kafka.consumer(run.settings, None, auto_offset_reset="latest")
        consumer.subscribe([run.settings.tasks_topic])
        while not stop_flag.is_set():
            for records in consumer.poll(timeout_ms=200).values():
                for r in records:
                    hid = r.key.decode()
                    if hid in sent and hid not in got:
                        got[hid] = time.time()
        consumer.close()

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    time.sleep(8)  # the services join their groups
    producer = kafka.producer(run.settings, linger_ms=2)
    background = county_stream(200_000, 12, seed=14)
    year = (TODAY - timedelta(days=365), TODAY - timedelta(days=1))
    start = time.time()
    tick, probe_every, next_probe, k = 1 / background_rate, 0.5, start + 1, 0
    try:
        while time.time() - start < seconds:
            now = time.time()
            if now >= next_probe:
                k += 1
                hid = f"PROBE{k:06d}"
                for m in probe(k, hid, year):
                    key, value = encode(m)
                    producer.send(run.settings.events_topic, key=key, value=value)
                producer.flush()
                sent[hid] = time.time()
                next_probe += probe_every
            key, value = encode(next(background))
            producer.send(run.settings.events_topic, key=key, value=value)
            time.sleep(max(0.0, tick - (time.time() - now)))
        deadline = time.time() + 30
        while len(got) < len(sent) and time.time() < deadline:
            time.sleep(0.2)
    finally:
        stop_flag.set()
        producer.close()
        stop(monitor)
        stop(alerts)
        run.drop()
    missing = len(sent) - len(got)
    if missing:
        log(f"  {missing} probe(s) raised no task within 30 s")
    return [got[h] - sent[h] for h in got]


def probe(k: int, hid: str, year: tuple[date, date]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``k``-th probe household: registered with a yellow card, then a
    year's income far below the line, for which the alerts' rules raise a task."""
    return (
        {
            "event_id": f"p{k}a",
            "type": "household.registered",
            "household_id": hid,
            "occurred_at": "2026-01-01T09:00:00+08:00",
            "source": "poverty-office",
            "schema_version": 1,
            "data": {
                "township": "金龙镇",
                "village": "白洲村",
                "members": 1,
                "labour_capable": 1,
                "card": "yellow",
                "flags": [],
            },
        },
        {
            "event_id": f"p{k}b",
            "type": "income.reported",
            "household_id": hid,
            "occurred_at": "2026-09-30T09:00:00+08:00",
            "source": "agriculture",
            "schema_version": 1,
            "data": {
                "amount_yuan": "100.00",
                "period_start": year[0].isoformat(),
                "period_end": year[1].isoformat(),
                "kind": "wage",
            },
        },
    )
