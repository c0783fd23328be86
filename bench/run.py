"""povwatch benchmarks on PostgreSQL: figures and their ratios, one run.

    scripts/bench.sh            # the full run (about 19 minutes here)
    scripts/bench.sh --quick    # small sizes, to check the benchmarks work

Every figure is measured in the same run, each on a fresh schema and fresh
topics, so ratios compare like with like on a shared, noisy machine; the
floor and end to end run three times, the smaller growth sizes five (in
turns, around the largest size's one run), and their medians are quoted.
After the largest size, the smallest county once more with four years of
feeds: what an event costs as streams grow, beside as the county grows.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import psycopg

from domain.household import FactRef, Household
from schemas.events import parse_event
from services.households.app import Households, Staged, kafka_position
from services.infra import kafka
from services.infra.settings import Settings
from synthetic.county import encode, make_county, messages

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 10, 1)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@dataclass
class Run:
    base: Settings
    name: str
    settings: Settings = field(init=False)

    def __post_init__(self) -> None:
        tag = f"b{uuid.uuid4().hex[:8]}"
        self.settings = self.base.model_copy(
            update={
                "store": "postgres",
                "postgres_schema": tag,
                "events_topic": f"bench.{tag}",
                "dlq_topic": f"bench.dlq.{tag}",
                "tasks_topic": f"bench.tasks.{tag}",
                "monitor_group": f"bench-{tag}",
            }
        )
        with self.connect() as conn:
            conn.execute(f"CREATE SCHEMA {tag}")
        kafka.ensure_topics(self.settings)

    def connect(self) -> psycopg.Connection:
        s = self.base
        return psycopg.connect(
            host=s.postgres_host,
            port=s.postgres_port,
            dbname=s.postgres_dbname,
            user=s.postgres_user,
            password=s.postgres_password,
            autocommit=True,
        )

    def scalar(self, sql: str, conn: psycopg.Connection | None = None) -> int:
        """One number from the run's schema; 0 while its table is yet to be
        created. Over ``conn`` when given, else over a connection of its own."""
        if conn is None:
            with self.connect() as own:
                return self.scalar(sql, own)
        try:
            row = conn.execute(sql.format(schema=self.settings.postgres_schema)).fetchone()
        except psycopg.errors.UndefinedTable:
            return 0
        return int(row[0] or 0) if row else 0

    def drop(self) -> None:
        with self.connect() as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {self.settings.postgres_schema} CASCADE")

    def env(self, **extra: str) -> dict[str, str]:
        s = self.settings
        env = dict(os.environ)
        env.update(
            {
                "POVWATCH_STORE": "postgres",
                "POVWATCH_POSTGRES_SCHEMA": s.postgres_schema,
                "POVWATCH_POSTGRES_HOST": s.postgres_host,
                "POVWATCH_POSTGRES_PORT": str(s.postgres_port),
                "POVWATCH_KAFKA_BOOTSTRAP": s.kafka_bootstrap,
                "POVWATCH_EVENTS_TOPIC": s.events_topic,
                "POVWATCH_DLQ_TOPIC": s.dlq_topic,
                "POVWATCH_TASKS_TOPIC": s.tasks_topic,
                "POVWATCH_MONITOR_GROUP": s.monitor_group,
                "POVWATCH_LOG_LEVEL": "WARNING",
            }
        )
        env.update(extra)
        return env


def publish(settings: Settings, stream) -> int:
    producer = kafka.producer(settings, linger_ms=50, batch_size=512 * 1024, acks=1)
    n = 0
    for message in stream:
        key, value = encode(message)
        producer.send(settings.events_topic, key=key, value=value)
        n += 1
        if n % 200_000 == 0:
            log(f"  published {n:,}")
    producer.flush()
    producer.close()
    return n


FIRST_MONTH = date(2026, 1, 1)


def county_stream(households: int, months: int, seed: int, last_month: bool = False):
    """``last_month``: the feeds end in FIRST_MONTH instead of starting there
    (years of history that the evaluation date's windows mostly leave out)."""
    start = FIRST_MONTH
    if last_month:
        y, m = divmod(start.year * 12 + start.month - months, 12)
        start = date(y, m + 1, 1)
    return messages(make_county(households, seed=seed, months=months, start=start))


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


# -- povwatch end to end -------------------------------------------------------


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """Seconds of CPU a process has used (user and system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_cpu() -> float:
    """Seconds of CPU the machine's cores have been busy, every process's
    (user, nice, system, interrupts; not idle, waiting or stolen)."""
    user, nice, system, _idle, _iowait, irq, softirq = map(
        int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]
    )
    return (user + nice + system + irq + softirq) / TICKS


def start_monitor(run: Run, roles: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", "monitor", "--no-http"],
        env=run.env(POVWATCH_MONITOR_ROLES=roles),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


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
    from services.monitor.riskstatus import (
        RiskStatusProjection,
        load_policies,
        open_view,
        rebuild_workers,
    )

    app = Households(env=run.settings.store_env("Monitor"))
    projection = RiskStatusProjection(
        app, open_view(run.settings), load_policies(run.settings), lambda: TODAY
    )
    start = time.perf_counter()
    replayed = projection.rebuild(workers=rebuild_workers(run.settings), settings=run.settings)
    elapsed = time.perf_counter() - start
    app.close()
    return replayed / elapsed


# -- alert latency -------------------------------------------------------------


def alert_latency(base: Settings, seconds: float, background_rate: float) -> list[float]:
    """Publish to task message at a steady background load: a probe household
    (yellow card, income below the line) every half second."""
    run = Run(base, "latency")
    monitor = start_monitor(run, "ingest,project")
    alerts = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "alerts", "--no-http"],
        env=run.env(),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
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
                for m in (
                    {
                        "event_id": f"p{k}a",
                        "type": "household.registered",
                        "household_id": hid,
                        "occurred_at": "2026-01-01T09:00:00+08:00",
                        "source": "poverty-office",
                        "schema_version": 1,
                        "data": {
                            "township": "Jinlong",
                            "village": "V001",
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
                ):
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


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def spread(runs: list[float]) -> str:
    if len(runs) < 2:
        return "1 run"
    return f"median of {len(runs)}: {min(runs):,.0f} to {max(runs):,.0f}"


def cpu_row(label: str, c: dict[str, float], reference: float, of: str) -> tuple[str, str, str]:
    """A line of CPU an event by process, with the reference's share of it."""
    return (
        label,
        f"{sum(c.values()):.0f}: projector {c['projector']:.0f}, "
        f"ingesting {c['ingesting']:.0f}, rest {c['rest']:.0f}",
        f"{reference / sum(c.values()):.2f}x {of}",
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (a check, not figures)")
    parser.add_argument(
        "--ingest-processes",
        type=int,
        default=1,
        help="monitor processes consuming the topic (a further one projects)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="runs of the floor and end to end, whose median is quoted "
        "(default 3; 1 with --quick); the largest growth size runs once",
    )
    parser.add_argument(
        "--growth-repeat",
        type=int,
        default=None,
        help="runs of the smaller growth sizes (default 5; 1 with --quick): a "
        "10,000-household run lasts under two seconds and moves by 10-20%%",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    base = Settings()
    q = args.quick
    repeat = max(1, args.repeat if args.repeat is not None else (1 if q else 3))
    growth_repeat = max(
        1, args.growth_repeat if args.growth_repeat is not None else (1 if q else 5)
    )
    sizes = [1_000, 5_000] if q else [10_000, 100_000, 1_000_000]
    e2e_households, e2e_months = (2_000, 3) if q else (20_000, 10)
    results: dict[str, object] = {
        "machine": f"{os.cpu_count()} cores",
        "quick": q,
        "repeat": repeat,
        "growth_repeat": growth_repeat,
    }

    floors = []
    for i in range(repeat):
        log(f"floor: events written straight to the store ({i + 1} of {repeat})")
        floors.append(floor(base, 2_000 if q else 20_000, 3 if q else 10))
    results["floor_runs"] = floors
    results["floor_events_per_s"] = statistics.median(floors)
    log("baseline: one message, one load, one save, one commit")
    results["baseline_events_per_s"] = baseline(base, 500 if q else 5_000)
    e2e_runs = []
    for i in range(repeat):
        log(
            f"end to end: {e2e_households:,} households, {e2e_months} months of feeds ({i + 1} of {repeat})"
        )
        e2e, run = end_to_end(
            base, e2e_households, e2e_months, args.ingest_processes, keep=i == repeat - 1
        )
        e2e_runs.append(e2e.rate)
    results["e2e_events"] = e2e.events
    results["e2e_runs"] = e2e_runs
    results["e2e_events_per_s"] = statistics.median(e2e_runs)
    log("rebuild: the risk projection from the store")
    results["rebuild_events_per_s"] = rebuild(run)
    run.drop()
    log("alert latency at 500 events/s of background load")
    latencies = alert_latency(base, 15 if q else 60, 500)
    results["alert_latency_p50_s"] = statistics.median(latencies) if latencies else None
    results["alert_latency_p99_s"] = pct(latencies, 0.99) if latencies else None
    results["alert_probes"] = len(latencies)
    # The smaller sizes' runs go round in turns, the largest size's one run
    # in the middle of them: their medians then see the machine over the same
    # minutes as the run they are compared with (on a shared machine, medians
    # of 10,000 households taken a minute apart differed by a fifth).
    smaller, largest = sizes[:-1], sizes[-1]
    turns = [[(h, i) for h in smaller] for i in range(growth_repeat)]
    schedule = [run for turn in turns[: growth_repeat // 2] for run in turn] + [(largest, 0)]
    schedule += [run for turn in turns[growth_repeat // 2 :] for run in turn]
    measured: dict[int, list] = {h: [] for h in sizes}
    # Long streams: the smallest county with years of monthly feeds, the
    # last month the one the other sizes have (cost an event as streams
    # grow, beside cost an event as the county grows); run after the largest.
    long_households, long_months = sizes[0], 12 if q else 48
    schedule.insert(schedule.index((largest, 0)) + 1, (long_households, -1))
    long_run = None
    for households, i in schedule:
        if i < 0:
            log(f"long streams: {households:,} households, {long_months} months")
            long_run, _ = end_to_end(
                base, households, long_months, args.ingest_processes, history=True
            )
            continue
        times = 1 if households == largest else growth_repeat
        log(f"growth: {households:,} households, 1 month ({i + 1} of {times})")
        g, _ = end_to_end(base, households, 1, args.ingest_processes)
        measured[households].append(g)
    growth = [
        {
            "households": h,
            "events": runs[-1].events,
            "events_per_s": statistics.median([r.rate for r in runs]),
            "runs": [r.rate for r in runs],
            "peak_rss_mb": max(r.peak_mb for r in runs),
            "cpu_us_per_event": {
                k: statistics.median([r.cpu_us[k] for r in runs]) for k in runs[0].cpu_us
            },
        }
        for h, runs in measured.items()
    ]
    results["growth"] = growth
    results["long_streams"] = {
        "households": long_households,
        "months": long_months,
        "events": long_run.events,
        "events_per_s": long_run.rate,
        "peak_rss_mb": long_run.peak_mb,
        "cpu_us_per_event": long_run.cpu_us,
    }

    floor_rate = results["floor_events_per_s"]
    base_rate = results["baseline_events_per_s"]
    e2e_rate = results["e2e_events_per_s"]
    rows = [
        ("floor (store, batches of 5,000)", f"{floor_rate:,.0f} events/s", spread(floors)),
        ("baseline (naive consumer)", f"{base_rate:,.0f} events/s", ""),
        (
            f"end to end ({e2e.events:,} messages)",
            f"{e2e_rate:,.0f} events/s",
            f"{e2e_rate / floor_rate:.0%} of floor, {e2e_rate / base_rate:.1f}x baseline; {spread(e2e_runs)}",
        ),
        ("rebuild", f"{results['rebuild_events_per_s']:,.0f} events/s", ""),
        (
            "alert latency p50 / p99",
            f"{results['alert_latency_p50_s'] or float('nan'):.3f} s / {results['alert_latency_p99_s'] or float('nan'):.3f} s",
            f"{len(latencies)} probes",
        ),
    ]
    first_rate = growth[0]["events_per_s"]
    first_cpu = sum(growth[0]["cpu_us_per_event"].values())
    for g in growth:
        rows.append(
            (
                f"growth {g['households']:,} households ({g['events']:,} events)",
                f"{g['events_per_s']:,.0f} events/s, peak {g['peak_rss_mb']:.0f} MB",
                f"{g['events_per_s'] / first_rate:.2f}x the smallest; {spread(g['runs'])}",
            )
        )
        rows.append(
            cpu_row(
                "  CPU an event (medians, µs)",
                g["cpu_us_per_event"],
                first_cpu,
                "the smallest's cost",
            )
        )
    rows.append(
        (
            f"long streams: {long_households:,} households, {long_months} months "
            f"({long_run.events:,} events)",
            f"{long_run.rate:,.0f} events/s, peak {long_run.peak_mb:.0f} MB",
            f"{long_run.rate / first_rate:.2f}x the same county's month",
        )
    )
    rows.append(cpu_row("  CPU an event (µs)", long_run.cpu_us, first_cpu, "the month's cost"))
    width = max(len(r[0]) for r in rows)
    print("\npovwatch benchmarks (PostgreSQL)" + (" -- quick sizes, not figures" if q else ""))
    for name, figure, ratio in rows:
        print(f"  {name:<{width}}  {figure:<36} {ratio}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
