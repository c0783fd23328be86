"""What-if over a county's store, beside the rebuild of the same store.

The store is made as the growth runs make it (the county's month of feeds
through the monitor processes). The rebuild of the risk status view is timed
first, as ``bench.measures.rebuild`` times it; then ``povwatch whatif`` runs
as operators run it, a process of its own with its readers, the line put
where a tenth of the county moves (``PROPOSED_LINE``), the changed
households written to a workbook. Its events a second are the command's own figure (from the
store's first read to the last household compared); its memory is the peak
of the summed resident sets of the command and all its processes, sampled
every 0.1 s while it runs.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, TODAY, log
from bench.measures import end_to_end, rebuild
from services.infra.policyfile import DEFAULT_POLICY
from services.infra.settings import Settings

RSS_TARGET_MB = 1024.0  # every process of the what-if together
RATIO_TARGET = 1.0  # the what-if's events a second over the rebuild's
# The proposal's line: the 90th percentile of the bench county's 12-month
# incomes per person (its store holds one month of feeds, so every registered
# household is below the line in force): a tenth of the county changes level,
# and the workbook has a tenth of the households to write.
PROPOSED_LINE = 1680
_FIGURE = re.compile(r"([\d,]+) events of ([\d,]+) households in ([\d.]+) s")
_PAGE = 4096


def proposal(policy_text: str) -> str:
    """The policy in force with a proposed line from the evaluation year's start."""
    return policy_text + (
        f"\n[[policy]]\neffective_from = {TODAY.year}-01-01\n"
        f'source = "bench: a tenth of the county above the proposed line"\n'
        f'poverty_line_yuan = "{PROPOSED_LINE}"\nwatch_band_upper_yuan = "9375"\n'
    )


def _tree_rss_mb(root: int) -> float:
    """The resident memory of ``root`` and every process below it."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid], rss[pid] = int(fields[1]), int(fields[21])
    tree, grew = {root}, True
    while grew:
        more = {p for p, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(rss.get(p, 0) for p in tree) * _PAGE / 2**20


class TreeSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_mb, self.stop = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.1):
            self.peak_mb = max(self.peak_mb, _tree_rss_mb(self.pid))


def county_token(settings_env: dict[str, str], tmp: Path) -> str:
    """A county office's token in a file: the command is the office's alone."""
    path = tmp / "county.token"
    subprocess.run(
        [sys.executable, "-m", "services.cli", "accounts", "issue", "bench-county"]
        + ["--role", "county", "--by", "bench", "--token-file", str(path)],
        cwd=ROOT,
        env=settings_env,
        check=True,
        capture_output=True,
    )
    return str(path)


def whatif_command(settings_env: dict[str, str], workers: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        policy, out = Path(tmp) / "proposal.toml", Path(tmp) / "changes.xlsx"
        policy.write_text(proposal(DEFAULT_POLICY.read_text(encoding="utf-8")), encoding="utf-8")
        args = ["--policy", str(policy), "--on", TODAY.isoformat(), "--out", str(out)]
        args += ["--token-file", county_token(settings_env, Path(tmp))]
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "whatif", *args, "--workers", str(workers)],
            cwd=ROOT,
            env={**settings_env, "COLUMNS": "160"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        sampler = TreeSampler(proc.pid)
        sampler.start()
        output, errors = proc.communicate()
        wall = time.perf_counter() - started
        sampler.stop.set()
        sampler.join()
        if proc.returncode != 0:
            raise RuntimeError(f"povwatch whatif exited {proc.returncode}: {errors[-2000:]}")
        found = _FIGURE.search(output)
        if found is None:
            raise RuntimeError(f"no figure in the command's output: {output[-2000:]}")
        events, households, seconds = (float(g.replace(",", "")) for g in found.groups())
        changed = re.search(r"([\d,]+) households that change written", output)
        return {
            "events": int(events),
            "households": int(households),
            "seconds": seconds,
            "events_per_s": events / seconds,
            "wall_s": wall,
            "changed": int(changed.group(1).replace(",", "")) if changed else None,
            "workbook_mb": out.stat().st_size / 2**20 if out.exists() else None,
            "peak_rss_mb": sampler.peak_mb,
            "workers": workers,
        }


class PatientSettings(Settings):
    """The rebuild's store sessions as patient as the what-if's: on the shared
    machine a rebuild's scan outlasted the library's 5 s between fetches."""

    def store_env(self, name: str) -> dict[str, str]:
        env = super().store_env(name)
        return {**env, "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "600"}


def whatif_figures(base: Settings, households: int, ingest_processes: int = 1) -> dict[str, Any]:
    log(f"whatif: the store of {households:,} households (the growth runs' month of feeds)")
    _, run = end_to_end(base, households, 1, ingest_processes, keep=True)
    try:
        log("  rebuild: the risk projection from the store")
        run.settings = PatientSettings.model_construct(**dict(run.settings))
        rebuild_rate = rebuild(run)
        from services.whatif.run import readers

        log("  povwatch whatif: the proposed line, every household compared")
        figures = whatif_command(run.env(), readers(run.settings))
    finally:
        run.drop()
    return {
        **figures,
        "store_households": households,
        "rebuild_events_per_s": rebuild_rate,
        "ratio": figures["events_per_s"] / rebuild_rate,
        "targets": {"ratio": RATIO_TARGET, "peak_rss_mb": RSS_TARGET_MB},
    }


def rows(w: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (
            f"what-if over {w['store_households']:,} households ({w['events']:,} events)",
            f"{w['events_per_s']:,.0f} events/s, {w['workers']} processes",
            f"{w['ratio']:.2f}x the rebuild's {w['rebuild_events_per_s']:,.0f} "
            f"(target {w['targets']['ratio']:.1f}x)",
        ),
        (
            "  peak memory, all its processes",
            f"{w['peak_rss_mb']:.0f} MB",
            f"target {w['targets']['peak_rss_mb']:.0f} MB; {w['changed'] or 0:,} households "
            f"change, whole command {w['wall_s']:.1f} s",
        ),
    ]
