"""Prometheus metrics: counters and histograms updated as work happens, and
gauges read from the read models when Prometheus scrapes."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version

from fastapi import Depends, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
DAY = 86400.0

EVENTS = Counter(
    "povwatch_events_consumed_total",
    "Department events consumed, by type, source and outcome",
    ["type", "source", "outcome"],
)
DLQ = Counter(
    "povwatch_dlq_messages_total",
    "Messages sent to the dead-letter topic, by reason and sender (unknown: unsigned)",
    ["reason", "source"],
)
INGEST_LATENCY = Histogram(
    "povwatch_ingest_latency_seconds",
    "From a message's Kafka timestamp to its store commit",
    buckets=LATENCY_BUCKETS,
)
PROJECTION_LATENCY = Histogram(
    "povwatch_projection_latency_seconds",
    "From a store commit to the read model's update",
    ["projection"],
    buckets=LATENCY_BUCKETS,
)
TASK_LATENCY = Histogram(
    "povwatch_task_publish_latency_seconds",
    "From the household fact that triggered a task to the task message's acknowledgement",
    buckets=LATENCY_BUCKETS,
)
CONSUMER_LAG = Gauge(
    "povwatch_consumer_lag_messages",
    "Messages on a partition not yet consumed",
    ["topic", "partition"],
)
TRIGGERS = Counter(
    "povwatch_alert_triggers_total",
    "Households evaluated by the alert rules, by outcome",
    ["outcome"],
)
TASK_RESOLUTION = Histogram(
    "povwatch_task_resolution_seconds",
    "From a task's creation to its resolution or dismissal",
    ["outcome"],
    buckets=(DAY / 4, DAY, 2 * DAY, 5 * DAY, 15 * DAY, 30 * DAY, 60 * DAY, 180 * DAY),
)
JOB_RUNS = Counter(
    "povwatch_scheduler_job_runs_total", "Scheduled job runs, by job and result", ["job", "result"]
)
JOB_LAST_SUCCESS = Gauge(
    "povwatch_scheduler_job_last_success_timestamp_seconds", "When a job last succeeded", ["job"]
)
STORE_ERRORS = Counter(
    "povwatch_store_errors_total", "Failed store operations (each is retried)", ["component"]
)
STORE_RETRIES = Counter(
    "povwatch_store_retries_total", "Commands retried after a concurrent change", ["component"]
)
BUILD = Info("povwatch_build", "povwatch version")
try:
    BUILD.info({"version": version("povwatch")})
except PackageNotFoundError:  # running from a source tree without installing
    BUILD.info({"version": "unknown"})

# Children known in advance exist from the start, so rates and alerts see a 0
# rather than no series at all.
for _outcome in ("resolved", "dismissed"):
    TASK_RESOLUTION.labels(_outcome)
for _job in ("escalate", "reassess", "clearance", "reevaluate"):
    for _result in ("success", "failure"):
        JOB_RUNS.labels(_job, _result)
for _component in (
    "ingest",
    "risk_status",
    "tasks",
    "alert_triggers",
    "task_relay",
    "metrics",
    "alerts",
):
    STORE_ERRORS.labels(_component)
STORE_RETRIES.labels("alerts")

_SOURCE = re.compile(r"^[a-z][a-z0-9-]{1,39}$")


def source_label(value: object) -> str:
    """A department code fit for a label; anything else is 'unknown' (bounded cardinality)."""
    return value if isinstance(value, str) and _SOURCE.match(value) else "unknown"


def seconds_since(moment: datetime) -> float:
    return max((datetime.now(UTC) - moment).total_seconds(), 0.0)


class ReadModelCollector(Collector):
    """Gauges computed when Prometheus scrapes, from a function returning metric families."""

    def __init__(self, collect: Callable[[], Iterable[Metric]]) -> None:
        self._collect = collect

    def collect(self) -> Iterable[Metric]:
        try:
            yield from self._collect()
        except Exception:  # a scrape must not fail because the store is away
            log.exception("collecting read-model metrics failed")
            STORE_ERRORS.labels("metrics").inc()


class _Process(Collector):
    def collect(self) -> Iterable[Metric]:
        yield from REGISTRY.collect()


def service_registry(*collectors: Collector) -> CollectorRegistry:
    """The process-wide metrics plus this service's read-model gauges."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Process())
    for c in collectors:
        registry.register(c)
    return registry


def mount(app, registry: CollectorRegistry, guard: Callable[..., object]) -> None:
    """Serves ``registry`` at /metrics to accounts that ``guard`` lets through
    (operators, and the metrics accounts Prometheus scrapes with)."""

    @app.get(
        "/metrics",
        tags=["operations"],
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
    )
    def metrics(_: object = Depends(guard)) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def run_job(name: str, job: Callable[[], int]) -> int:
    """Runs a scheduled job, counting runs and failures and the last success."""
    try:
        result = job()
    except Exception:
        JOB_RUNS.labels(name, "failure").inc()
        log.exception("job %s failed", name)
        raise
    JOB_RUNS.labels(name, "success").inc()
    JOB_LAST_SUCCESS.labels(name).set_to_current_time()
    # Frequent jobs (the pushes' every few seconds) say so only when they did something.
    (log.info if result else log.debug)("job %s done: %d", name, result)
    return result


def projection_lag(lags: dict[str, int]) -> GaugeMetricFamily:
    return gauge(
        "povwatch_projection_lag_events",
        "Store events a read model has yet to reflect",
        ["projection"],
        (([name], lag) for name, lag in lags.items()),
    )


def gauge(
    name: str, doc: str, labels: list[str], samples: Iterable[tuple[list[str], float]]
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=labels)
    for values, value in samples:
        family.add_metric(values, value)
    return family
