"""What every benchmark uses: a run on a fresh schema and fresh topics,
the county's feeds, and the processes under measurement with their CPU and
memory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg

from services.infra import kafka
from services.infra.settings import Settings
from synthetic.county import encode, make_county, messages

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 10, 1)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile of ``values``: the value at that rank, not interpolated."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def spread(runs: list[float]) -> str:
    """How a figure quoted as a median moved over its runs."""
    if len(runs) < 2:
        return "1 run"
    return f"median of {len(runs)}: {min(runs):,.0f} to {max(runs):,.0f}"


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
                "cases_topic": f"bench.cases.{tag}",
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
                "POVWATCH_CASES_TOPIC": s.cases_topic,
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


def start_alerts(run: Run) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", "alerts", "--no-http"],
        env=run.env(),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
