"""The benchmarks stay runnable: a quick run prints every figure and ratio.
(The figures themselves are not asserted: a shared machine is too noisy.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_prints_every_figure(kafka_up, postgres_up, tmp_path):
    figures = tmp_path / "figures.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--json", str(figures)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for label in (
        "floor",
        "baseline",
        "end to end",
        "rebuild",
        "alert latency p50 / p99",
        "growth 1,000 households",
        "growth 5,000 households",
        "long streams: 1,000 households, 12 months",
        "alerts process over the largest county (5,000 households)",
        "alerts process over the long streams (1,000 households)",
        "cases: 20,000 households, 1,000 open cases",
        "township staff's GET /cases?mine=true p50 / p95",
        "village staff's GET /cases?mine=true p50 / p95",
        "township reviewer's GET /cases?mine=true p50 / p95",
        "county's GET /cases/overview p50 / p95",
        "POST /cases/{id}/verification p50 / p95",
        "alerts process peak memory",
        "ledgers: 2,000 monitoring objects (100 through the procedure)",
        "povwatch export monitoring, wall time",
        "povwatch export monitoring, peak memory",
        "report: 5,000 households, 200 cases",
        "the report's job (two months)",
        "county's report page p50 / p95",
    ):
        assert label in result.stdout, label
    assert "of floor" in result.stdout and "x baseline" in result.stdout
    import json

    data = json.loads(figures.read_text())
    assert data["e2e_events_per_s"] > 0 and data["alert_probes"] > 0
    assert all(g["peak_rss_mb"] > 0 for g in data["growth"])
    # What each event cost, by process: both monitor processes did work.
    assert "CPU an event" in result.stdout
    assert all(
        g["cpu_us_per_event"]["projector"] > 0 and g["cpu_us_per_event"]["ingesting"] > 0
        for g in data["growth"]
    )
    # Years of feeds for the smallest county: more events than its month.
    long = data["long_streams"]
    assert long["months"] == 12 and long["events"] > 5 * data["growth"][0]["events"]
    assert long["events_per_s"] > 0 and long["cpu_us_per_event"]["projector"] > 0
    # The alerts process read the stores the monitor filled: its memory is measured.
    for name in ("largest", "long_streams"):
        alerts = data["alerts_process"][name]
        assert alerts["peak_rss_mb"] > 0 and 0 < alerts["notifications"] <= alerts["of"]
    # The monitoring procedure over HTTP: every kind of request measured
    # after its warm-up, each verification a real stage action.
    cases = data["cases"]
    assert cases["households"] == 20_000 and cases["open_cases"] == 1_000
    assert set(cases["latency"]) == {
        "township_staff_list", "village_staff_list", "reviewer_list", "county_overview",
        "verification",
    }  # fmt: skip
    for name, m in cases["latency"].items():
        assert m["requests"] >= 200 and 0 < m["p50_ms"] <= m["p95_ms"], name
    assert cases["latency"]["county_overview"]["total"] == 1_000
    assert cases["latency"]["township_staff_list"]["total"] > 0
    assert cases["peak_rss_mb"] > 0 and "of the 300 ms target" in result.stdout
    # The ledger: every monitoring object a row, written by its own process.
    ledger = data["ledgers"]
    assert ledger["objects"] == ledger["rows"] == 2_000 and ledger["peak_rss_mb"] > 0


def test_the_whatif_section_prints_its_figures(kafka_up, postgres_up, tmp_path):
    figures = tmp_path / "whatif.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--only", "whatif", "--quick"]
        + ["--whatif-households", "2000", "--json", str(figures)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "what-if over 2,000 households" in result.stdout and "x the rebuild's" in result.stdout
    assert "peak memory, all its processes" in result.stdout
    import json

    w = json.loads(figures.read_text())["whatif"]
    assert 0 < w["households"] < w["events"] and w["peak_rss_mb"] > 0
    assert w["changed"] > 0  # the proposal moves part of the county: the workbook has rows
