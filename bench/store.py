"""The store section: the floor (events written straight to the store), the
naive consumer's baseline, end to end through the monitor processes, the
rebuild of the risk projection, and alert latency under load."""

from __future__ import annotations

import argparse
import statistics
from typing import Any

from bench.common import log, pct, spread
from bench.latency import alert_latency
from bench.measures import baseline, end_to_end, floor, rebuild
from services.infra.settings import Settings


def store_figures(base: Settings, args: argparse.Namespace, repeat: int) -> dict[str, Any]:
    """Floor, baseline, end to end, rebuild and alert latency."""
    q = args.quick
    e2e_households, e2e_months = (2_000, 3) if q else (20_000, 10)
    floors = []
    for i in range(repeat):
        log(f"floor: events written straight to the store ({i + 1} of {repeat})")
        floors.append(floor(base, 2_000 if q else 20_000, 3 if q else 10))
    out: dict[str, Any] = {"floor_runs": floors, "floor_events_per_s": statistics.median(floors)}
    log("baseline: one message, one load, one save, one commit")
    out["baseline_events_per_s"] = baseline(base, 500 if q else 5_000)
    e2e_runs = []
    for i in range(repeat):
        log(f"end to end: {e2e_households:,} households, {e2e_months} months ({i + 1} of {repeat})")
        e2e, run = end_to_end(
            base, e2e_households, e2e_months, args.ingest_processes, keep=i == repeat - 1
        )
        e2e_runs.append(e2e.rate)
    out.update(e2e_events=e2e.events, e2e_runs=e2e_runs)
    out["e2e_events_per_s"] = statistics.median(e2e_runs)
    log("rebuild: the risk projection from the store")
    out["rebuild_events_per_s"] = rebuild(run)
    run.drop()
    log("alert latency at 500 events/s of background load")
    latencies = alert_latency(base, 15 if q else 60, 500)
    out["alert_latency_p50_s"] = statistics.median(latencies) if latencies else None
    out["alert_latency_p99_s"] = pct(latencies, 0.99) if latencies else None
    out["alert_probes"] = len(latencies)
    return out


def store_rows(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    floor_rate = results["floor_events_per_s"]
    base_rate = results["baseline_events_per_s"]
    e2e_rate = results["e2e_events_per_s"]
    p50, p99 = results["alert_latency_p50_s"], results["alert_latency_p99_s"]
    out = [
        (
            "floor (store, batches of 5,000)",
            f"{floor_rate:,.0f} events/s",
            spread(results["floor_runs"]),
        ),
        ("baseline (naive consumer)", f"{base_rate:,.0f} events/s", ""),
        (
            f"end to end ({results['e2e_events']:,} messages)",
            f"{e2e_rate:,.0f} events/s",
            f"{e2e_rate / floor_rate:.0%} of floor, {e2e_rate / base_rate:.1f}x baseline; "
            f"{spread(results['e2e_runs'])}",
        ),
        ("rebuild", f"{results['rebuild_events_per_s']:,.0f} events/s", ""),
        (
            "alert latency p50 / p99",
            f"{p50 or float('nan'):.3f} s / {p99 or float('nan'):.3f} s",
            f"{results['alert_probes']} probes",
        ),
    ]
    return out
