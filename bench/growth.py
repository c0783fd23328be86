"""The growth section: the county from 10,000 to a million households, the
smallest with years of feeds (long streams), and the alerts process reading
the stores of the largest size and of the long streams from the start."""

from __future__ import annotations

import argparse
import statistics
from typing import Any

from bench.common import log, spread
from bench.measures import E2E, AlertsRun, alerts_over, end_to_end
from services.infra.settings import Settings

ALERTS_BUDGET_S = 240.0  # the alerts process's time on the largest store


def cpu_row(label: str, c: dict[str, float], reference: float, of: str) -> tuple[str, str, str]:
    """A line of CPU an event by process, with the reference's share of it."""
    return (
        label,
        f"{sum(c.values()):.0f}: projector {c['projector']:.0f}, "
        f"ingesting {c['ingesting']:.0f}, rest {c['rest']:.0f}",
        f"{reference / sum(c.values()):.2f}x {of}",
    )


def growth_figures(base: Settings, args: argparse.Namespace, growth_repeat: int) -> dict[str, Any]:
    """The growth sizes, the long streams, and the alerts process on the
    stores of the largest size and of the long streams."""
    q = args.quick
    sizes = [1_000, 5_000] if q else [10_000, 100_000, 1_000_000]
    # The smaller sizes' runs go round in turns, the largest size's one run
    # in the middle of them: their medians then see the machine over the same
    # minutes as the run they are compared with.
    smaller, largest = sizes[:-1], sizes[-1]
    turns = [[(h, i) for h in smaller] for i in range(growth_repeat)]
    schedule = [run for turn in turns[: growth_repeat // 2] for run in turn] + [(largest, 0)]
    schedule += [run for turn in turns[growth_repeat // 2 :] for run in turn]
    # Long streams: the smallest county with years of monthly feeds, the last
    # month the one the other sizes have; run after the largest.
    long_households, long_months = sizes[0], 12 if q else 48
    schedule.insert(schedule.index((largest, 0)) + 1, (long_households, -1))
    measured: dict[int, list[E2E]] = {h: [] for h in sizes}
    alerts: dict[str, AlertsRun] = {}
    for households, i in schedule:
        if i < 0:
            log(f"long streams: {households:,} households, {long_months} months")
            long_run, kept = end_to_end(
                base, households, long_months, args.ingest_processes, keep=True, history=True
            )
            log("  the alerts process over the long streams' store")
            alerts["long_streams"] = alerts_over(kept, ALERTS_BUDGET_S)
            kept.drop()
            continue
        times = 1 if households == largest else growth_repeat
        log(f"growth: {households:,} households, 1 month ({i + 1} of {times})")
        keep = households == largest
        g, kept = end_to_end(base, households, 1, args.ingest_processes, keep=keep)
        measured[households].append(g)
        if keep:
            log(f"  the alerts process over the {households:,} households' store")
            alerts["largest"] = alerts_over(kept, ALERTS_BUDGET_S)
            kept.drop()
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
    long_streams = {
        "households": long_households,
        "months": long_months,
        "events": long_run.events,
        "events_per_s": long_run.rate,
        "peak_rss_mb": long_run.peak_mb,
        "cpu_us_per_event": long_run.cpu_us,
    }
    # The alerts keep pace when they handle a store at least as fast as the
    # monitor filled it: the same store's end-to-end rate, in the same run.
    filled = {"largest": growth[-1]["events_per_s"], "long_streams": long_run.rate}
    return {
        "growth": growth,
        "long_streams": long_streams,
        "alerts_process": {
            name: {
                "households": largest if name == "largest" else long_households,
                "notifications": a.notifications,
                "of": a.of,
                "notifications_per_s": a.rate,
                "end_to_end_per_s": filled[name],
                "catch_up_ratio": a.rate / filled[name],
                "peak_rss_mb": a.peak_mb,
            }
            for name, a in alerts.items()
        },
    }


def growth_rows(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    growth = results["growth"]
    first_rate = growth[0]["events_per_s"]
    first_cpu = sum(growth[0]["cpu_us_per_event"].values())
    for g in growth:
        out.append(
            (
                f"growth {g['households']:,} households ({g['events']:,} events)",
                f"{g['events_per_s']:,.0f} events/s, peak {g['peak_rss_mb']:.0f} MB",
                f"{g['events_per_s'] / first_rate:.2f}x the smallest; {spread(g['runs'])}",
            )
        )
        out.append(
            cpu_row(
                "  CPU an event (medians, µs)",
                g["cpu_us_per_event"],
                first_cpu,
                "the smallest's cost",
            )
        )
    long = results["long_streams"]
    out.append(
        (
            f"long streams: {long['households']:,} households, {long['months']} months "
            f"({long['events']:,} events)",
            f"{long['events_per_s']:,.0f} events/s, peak {long['peak_rss_mb']:.0f} MB",
            f"{long['events_per_s'] / first_rate:.2f}x the same county's month",
        )
    )
    out.append(
        cpu_row("  CPU an event (µs)", long["cpu_us_per_event"], first_cpu, "the month's cost")
    )
    for name, a in results["alerts_process"].items():
        label = "the largest county" if name == "largest" else "the long streams"
        out.append(
            (
                f"alerts process over {label} ({a['households']:,} households)",
                f"peak {a['peak_rss_mb']:.0f} MB",
                f"{a['notifications']:,} of {a['of']:,} stored events handled, "
                f"{a['notifications_per_s']:,.0f} a second",
            )
        )
        out.append(
            (
                f"  alerts catch-up over {label}",
                f"{a['notifications_per_s']:,.0f} against {a['end_to_end_per_s']:,.0f} events/s "
                "end to end",
                f"{a['catch_up_ratio']:.2f}x the end-to-end rate (target at least 1.00x)",
            )
        )
    return out
