"""The store's floor, the naive baseline, povwatch end to end, the rebuild,
and the alerts process over a store the monitor filled."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import psycopg

from bench.common import (
    TODAY,
    Run,
    county_stream,
    log,
    machine_cpu,
    peak_rss_mb,
    process_cpu,
    publish,
    start_alerts,
    start_monitor,
    stop,
)
from domain.household import FactRef, Household
from schemas.events import parse_event
from services.households.app import Households, Staged, kafka_position
from services.infra import kafka
from services.infra.settings import Settings
from synthetic.county import encode

# -- floor ------------------------------------------------------------------


def floor(base: Settings, households: int, months: int) -> float:
    """The same domain events written straight to the store in batches of
    5,000 (no Kafka, no validation): this machine's storage limit."""
    run = Run(base, "floor")
    app = Households(env=run.settings.store_env("Monitor"))
    aggregates: dict[str, Household] = {}
    events = []
    for m in county_stream(households, months, seed=11):
        ev = parse_event(encode(m)[1])
        h = aggregates.get(ev.household_id) or Household(ev.household_id)
        aggregates[ev.household_id] = h
        h.receive(
            ev.type,
            FactRef(ev.source, ev.event_id, ev.occurred_at, ev.digest()),
            ev.data.model_dump(),
        )
    for h in aggregates.values():
        events.extend(h.collect_events())
    start = time.perf_counter()
    for i in range(0, len(events), 5000):
        app.events.put(events[i : i + 5000])
    elapsed = time.perf_counter() - start
    app.close()
    run.drop()
    return len(events) / elapsed


# -- baseline -----------------------------------------------------------------


def baseline(base: Settings, limit: int) -> float:
    """What a user gets from the libraries with no care: one message, one
    aggregate load, one save (with its Kafka position), one commit."""
    run = Run(base, "baseline")
    publish(run.settings, (m for i, m in zip(range(limit), county_stream(limit // 2, 3, seed=12))))
    app = Households(env=run.settings.store_env("Monitor"))
    consumer = kafka.consumer(run.settings, run.settings.monitor_group, max_poll_records=500)
    consumer.subscribe([run.settings.events_topic])
    done, start = 0, None
    while done < limit:
        for records in consumer.poll(timeout_ms=1000).values():
            for record in records:
                start = start or time.perf_counter()
                ev = parse_event(record.value)
                household = app.get_or_open(ev.household_id)  # one load
                household.receive(
                    ev.type,
                    FactRef(ev.source, ev.event_id, ev.occurred_at, ev.digest()),
                    ev.data.model_dump(),
                )
                staged = Staged([], {household.id: household})
                app.commit(staged, kafka_position(record.topic, record.partition, record.offset))
                consumer.commit()  # one commit per message
                done += 1
    elapsed = time.perf_counter() - start
    consumer.close()
    app.close()
    run.drop()
    return done / elapsed


def progress(run: Run, conn: psycopg.Connection) -> tuple[int, int, int]:
    """Messages consumed, events projected and events stored so far."""
    return (
        run.scalar(
            "SELECT SUM(notification_id) FROM {schema}.monitor_tracking "
            "WHERE application_name LIKE 'kafka:%'",
            conn,
        ),
        run.scalar(
            "SELECT notification_id FROM {schema}.riskstatus_tracking "
            "WHERE application_name = 'Monitor'",
            conn,
        ),
        run.scalar("SELECT MAX(notification_id) FROM {schema}.monitor_events", conn),
    )


@dataclass
class E2E:
    events: int
    rate: float
    elapsed: float
    peak_mb: float
    # CPU an event (µs) over the timed span: the projecting process, the
    # ingesting ones, and everything else on the machine (PostgreSQL, Kafka,
    # this watch): what the throughput costs, beside what it achieves.
    cpu_us: dict[str, float] = field(default_factory=dict)


def end_to_end(
    base: Settings,
    households: int,
    months: int,
    ingest_processes: int,
    keep: bool = False,
    history: bool = False,
) -> tuple[E2E, Run]:
    """A topic pre-loaded with the county's feeds, consumed, validated,
    appended by the ingesting monitor process(es) and projected by one more;
    timed from the first stored event to the last risk status."""
    run = Run(base, "e2e")
    n = publish(run.settings, county_stream(households, months, seed=13, last_month=history))
    log(f"  {n:,} messages on {run.settings.events_topic}")
    # The projector in a process of its own: sharing an ingesting process's
    # interpreter, the two took turns (about 20% slower end to end).
    procs = [start_monitor(run, "project")]
    procs += [start_monitor(run, "ingest") for _ in range(ingest_processes)]
    first = None
    # One connection for the whole watch: a new one each poll (a backend
    # forked, a password hashed) took a fifth of a core from the processes
    # being measured.
    watch = run.connect()
    try:
        while True:
            for p in procs:
                if p.poll() is not None:
                    raise RuntimeError(f"a monitor process exited: {p.stderr.read()[-2000:]}")
            consumed, projected, stored = progress(run, watch)
            if consumed and first is None:
                first = time.perf_counter()
                cpu0, all0 = [process_cpu(p.pid) for p in procs], machine_cpu()
            if consumed >= n and projected >= stored > 0:
                break
            time.sleep(0.05)  # the smallest runs last about two seconds
        elapsed = time.perf_counter() - first
        used = [process_cpu(p.pid) - c for p, c in zip(procs, cpu0)]
        rest = machine_cpu() - all0 - sum(used)
        cpu = {"projector": used[0], "ingesting": sum(used[1:]), "rest": rest}
        peak = max(peak_rss_mb(p.pid) for p in procs)
    finally:
        watch.close()
        for p in procs:
            stop(p)
    if not keep:
        run.drop()
    return E2E(n, n / elapsed, elapsed, peak, {k: v / n * 1e6 for k, v in cpu.items()}), run


# -- rebuild -------------------------------------------------------------------


def rebuild(run: Run) -> float:
    from services.households.statusview import open_view
    from services.infra.policyfile import load_policies
    from services.monitor.riskstatus import RiskStatusProjection, rebuild_workers

    app = Households(env=run.settings.store_env("Monitor"))
    projection = RiskStatusProjection(
        app, open_view(run.settings), load_policies(run.settings), lambda: TODAY
    )
    start = time.perf_counter()
    replayed = projection.rebuild(workers=rebuild_workers(run.settings), settings=run.settings)
    elapsed = time.perf_counter() - start
    app.close()
    return replayed / elapsed


@dataclass
class AlertsRun:
    notifications: int  # of the households' store the alerts process handled
    of: int  # in the store
    rate: float  # notifications a second
    peak_mb: float


def alerts_over(run: Run, budget_s: float) -> AlertsRun:
    """The alerts process started on a store the monitor has filled: it reads
    every household's stream from the start, as after an outage or on a new
    deployment, which is when its cache of households fills. Timed until it
    has handled the whole store or ``budget_s`` has passed, its peak resident
    memory read at the end."""
    total = run.scalar("SELECT MAX(notification_id) FROM {schema}.monitor_events")
    alerts = start_alerts(run)
    watch = run.connect()
    start, done = time.perf_counter(), 0
    try:
        while done < total and time.perf_counter() - start < budget_s:
            if alerts.poll() is not None:
                raise RuntimeError(f"the alerts process exited: {alerts.stderr.read()[-2000:]}")
            done = run.scalar(
                "SELECT notification_id FROM {schema}.alerts_tracking "
                "WHERE application_name = 'Monitor'",
                watch,
            )
            time.sleep(0.2)
        elapsed = time.perf_counter() - start
        peak = peak_rss_mb(alerts.pid)
    finally:
        watch.close()
        stop(alerts)
    return AlertsRun(done, total, done / elapsed, peak)
