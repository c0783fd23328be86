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
from pathlib import Path
from typing import Any

from bench import asof, cases, ledgers, whatif
from bench import report as monthly
from bench.growth import growth_figures, growth_rows
from bench.store import store_figures, store_rows
from services.infra.settings import Settings
from services.presentation.fonts import find_font


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
    _section_sizes(parser)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser.parse_args()


def _section_sizes(parser: argparse.ArgumentParser) -> None:
    """The options of the sections after growth: their sizes (most default to
    the figure's size, or to a small one with --quick)."""
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


def rows(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    return store_rows(results) + growth_rows(results)


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
