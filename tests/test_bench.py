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
