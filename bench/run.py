"""povwatch benchmarks on PostgreSQL: figures and their ratios, one run.

    scripts/bench.sh               # the full run (about 90 minutes here)
    scripts/bench.sh --quick       # small sizes, to check the benchmarks work
    scripts/bench.sh --only store  # floor, baseline, end to end, rebuild, alert latency (about 10 minutes)
    scripts/bench.sh --only growth # 10,000 to a million households, long streams (about 30 minutes)
    scripts/bench.sh --only cases  # the monitoring procedure alone (about 15 minutes)
    scripts/bench.sh --only asof   # a household as of a date, four years of facts (a few minutes)
    scripts/bench.sh --only ledgers  # the Excel ledger of 100,000 monitoring objects
    scripts/bench.sh --only report # the monthly report alone (bench/report.py)
    scripts/bench.sh --only whatif # what-if beside the rebuild (bench/whatif.py)

Every figure is measured in the same run, each on a fresh schema and fresh
topics, so ratios compare like with like on a shared, noisy machine; the
floor and end to end run three times, the smaller growth sizes five (in
turns, around the largest size's one run), and their medians are quoted.
After the largest size, the smallest county once more with four years of
feeds: what an event costs as streams grow, beside as the county grows.
On the stores of the largest size and of the long streams, the alerts
process then reads every household from the start: its peak memory.
Last, the monitoring procedure (bench/cases.py): a million households and
50,000 open cases, staff's work lists, the county's overview and stage
actions over HTTP from the alerts process, and that process's peak memory.
Then the ledgers (bench/ledgers.py): ``povwatch export`` of the county's
ledger of 100,000 monitoring objects, its time and peak memory; then the
monthly report (bench/report.py) on a store of the same size as the cases':
its job's time and its page's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from pathlib import Path
from typing import Any

from bench import asof, cases, ledgers, whatif
from bench import report as monthly
from bench.common import log
from bench.latency import alert_latency
from bench.measures import E2E, AlertsRun, alerts_over, baseline, end_to_end, floor, rebuild
from services.infra.settings import Settings
from services.presentation.fonts import find_font

ALERTS_BUDGET_S = 240.0  # the alerts process's time on the largest store


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


def parse_args() -> argparse.Namespace:
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
    parser.add_argument(
        "--only",
        choices=["store", "growth", "cases", "asof", "ledgers", "report", "whatif"],
        help="only this section (store: the floor, the baseline, end to end, the rebuild and "
        "alert latency; growth: the growth sizes, the long streams and the alerts "
        "process over their stores; cases: the monitoring procedure; ledgers: the Excel export; "
        "report: the monthly report; asof: a household as of a date; whatif: what-if beside "
        "the rebuild; the last two are not part of the full run)",
    )
    parser.add_argument(
        "--asof-samples", type=int, default=500, help="households the asof section asks"
    )
    parser.add_argument(
        "--ledgers-objects",
        type=int,
        default=None,
        help="monitoring objects of the ledgers section (default 100,000; 2,000 with --quick)",
    )
    parser.add_argument(
        "--ledgers-real",
        type=int,
        default=None,
        help="of those, taken through the procedure (default 500; 100 with --quick)",
    )
    parser.add_argument(
        "--whatif-households",
        type=int,
        default=None,
        help="households of the what-if section's store (default 1,000,000; 20,000 with --quick)",
    )
    parser.add_argument(
        "--cases-households",
        type=int,
        default=None,
        help="households of the cases section's store (default 1,000,000; 20,000 with --quick)",
    )
    parser.add_argument(
        "--cases-open",
        type=int,
        default=None,
        help="open cases of the cases section (default 50,000; 1,000 with --quick)",
    )
    parser.add_argument(
        "--cases-rounds",
        type=int,
        default=200,
        help="measured rounds of the cases section's requests, each kind once a round",
    )
    parser.add_argument(
        "--cases-keep",
        action="store_true",
        help="leave the cases section's schema in place (to EXPLAIN its queries)",
    )
    parser.add_argument(
        "--report-households",
        type=int,
        default=None,
        help="households of the report section's store (default 1,000,000; 5,000 with --quick)",
    )
    parser.add_argument(
        "--report-cases",
        type=int,
        default=None,
        help="cases of the report section (default 50,000; 200 with --quick)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser.parse_args()


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
    return {
        "growth": growth,
        "long_streams": long_streams,
        "alerts_process": {
            name: {
                "households": largest if name == "largest" else long_households,
                "notifications": a.notifications,
                "of": a.of,
                "notifications_per_s": a.rate,
                "peak_rss_mb": a.peak_mb,
            }
            for name, a in alerts.items()
        },
    }


def rows(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    return store_rows(results) + growth_rows(results)


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
    return out


def main() -> int:
    args = parse_args()
    base = Settings()
    q = args.quick
    repeat = max(1, args.repeat if args.repeat is not None else (1 if q else 3))
    growth_repeat = max(
        1, args.growth_repeat if args.growth_repeat is not None else (1 if q else 5)
    )
    results: dict[str, Any] = {
        "machine": f"{os.cpu_count()} cores",
        "quick": q,
        "repeat": repeat,
        "growth_repeat": growth_repeat,
        "only": args.only,
    }
    if args.only in (None, "report"):
        # The report renders a PDF: a machine without a Chinese font fails
        # now, not at the end of a full run (FontMissing names the remedy).
        find_font(base.pdf_font)

    def checkpoint() -> None:
        # Each section's figures are kept as it ends: a run that dies later
        # still leaves what it measured.
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))

    if args.only in (None, "store"):
        results.update(store_figures(base, args, repeat))
        checkpoint()
    if args.only == "store":
        return report(args, q, store_rows(results), results)
    if args.only in (None, "growth"):
        results.update(growth_figures(base, args, growth_repeat))
        checkpoint()
    if args.only == "growth":
        return report(args, q, growth_rows(results), results)
    if args.only == "whatif":
        results["whatif"] = whatif.whatif_figures(
            base, args.whatif_households or (20_000 if q else 1_000_000), args.ingest_processes
        )
        return report(args, q, whatif.rows(results["whatif"]), results)
    if args.only == "asof":
        results["asof"] = asof.asof_figures(
            base, 1_000 if q else 10_000, 48, 100 if q else args.asof_samples
        )
        return report(args, q, asof.rows(results["asof"]), results)
    if args.only in (None, "cases"):
        results["cases"] = cases.cases_figures(
            base,
            args.cases_households or (20_000 if q else 1_000_000),
            args.cases_open or (1_000 if q else 50_000),
            args.cases_rounds,
            args.ingest_processes,
            keep=args.cases_keep,
        )
        checkpoint()
    if args.only in (None, "ledgers"):
        results["ledgers"] = ledgers.ledger_figures(
            base,
            args.ledgers_objects or (2_000 if q else 100_000),
            args.ledgers_real or (100 if q else 500),
        )
        checkpoint()
    if args.only in (None, "report"):
        results["report"] = monthly.report_figures(
            base,
            args.report_households or (5_000 if q else 1_000_000),
            args.report_cases or (200 if q else 50_000),
            args.cases_rounds,
            args.ingest_processes,
        )
    table = [] if args.only else rows(results)
    if "cases" in results:
        table += cases.rows(results["cases"])
    if "ledgers" in results:
        table += ledgers.rows(results["ledgers"])
    if "report" in results:
        table += monthly.rows(results["report"])
    return report(args, q, table, results)


def report(
    args: argparse.Namespace, q: bool, table: list[tuple[str, str, str]], results: dict[str, Any]
) -> int:
    width = max(len(r[0]) for r in table)
    print("\npovwatch benchmarks (PostgreSQL)" + (" -- quick sizes, not figures" if q else ""))
    for name, figure, ratio in table:
        print(f"  {name:<{width}}  {figure:<36} {ratio}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
