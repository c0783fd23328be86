"""The county's ledger of monitoring objects (监测对象台账) at 100,000 objects:
``povwatch export monitoring`` as an operator runs it, a process of its own,
its wall time and its peak resident memory against the targets (60 s,
500 MB: the streaming writer and the keyset reads hold one page).

How the monitoring objects are made: a first set (``--ledgers-real``, 500 by
default) are real aggregates, each taken through the whole procedure by
the application: ``Cases.take_lead`` opens its case, ``Cases.act`` takes it
through home verification, the cross-check, the village review, the notice
and the township review in the roles that act at each, the county approver
decides (monitored, in one of the three categories), and township staff add
a help plan of two to three measures, one done; the cases store's view
followers then write their documents (the monitoring and case views), as
the alerts process does. Taking 100,000 households through every stage
(about ten transactions each) would take over an hour here, so the rest are
copies of those documents saved into the same monitoring view under new
household references, spread over the synthetic county's 14 townships and
their villages; the export reads only that view, so every row it writes
costs what a real one costs.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from bench.common import ROOT, Run, log
from bench.opencases import Clock, advance, fitting, income_lead
from domain import countyday
from domain.access import Principal, Role
from services.alerts.bootstrap import open_case_views, open_cases
from services.cases.app import Cases, Place
from services.cases.views import docs
from services.infra.follow import ViewFollower
from services.infra.settings import Settings
from synthetic.county import TOWNSHIPS, village_name

SECONDS_TARGET = 60.0
RSS_TARGET_MB = 500.0
CATEGORIES = ("unstable", "marginal", "sudden")
MEASURES = (
    ("public_welfare_post", "乡镇人社站"), ("industry_help", "县农业农村局"),
    ("education_grant", "县教育局"), ("medical_aid", "县医保局"),
)  # fmt: skip
VILLAGES = 20  # of each township


def place(i: int) -> Place:
    t = TOWNSHIPS[i % len(TOWNSHIPS)]
    return Place(f"L{i:07d}", t, village_name(t, (i // len(TOWNSHIPS)) % VILLAGES), "yellow")


def real_objects(cases: Cases, clock: Clock, count: int, today: date) -> None:
    """``count`` monitoring objects through the whole procedure, with plans."""
    approver = Principal("approver", Role.APPROVER)
    for i in range(count):
        p = place(i)
        d0 = today - timedelta(days=30 + i % 60)
        clock.on(d0)
        case = cases.take_lead(p, income_lead(clock.now, "high"))
        assert case is not None
        advance(cases, clock, case.id, p, "county_decision", d0)
        clock.on(d0 + timedelta(days=9), 10)
        category = fitting(CATEGORIES[i % 3], p.card)
        cases.act(case.id, "decide", approver, approve=True, category=category, reason="")
        staff = Principal(f"staff-{p.township}", Role.STAFF, township=p.township)
        for k in range(2 + i % 2):
            kind, department = MEASURES[(i + k) % len(MEASURES)]
            due = d0 + timedelta(days=40 + 10 * k)
            cases.plan(
                p.household_id, staff, "add_measure", kind=kind, department=department,
                due_on=due, note="",
            )  # fmt: skip
        cases.plan(p.household_id, staff, "update_measure", measure_id="m1", state="done", note="")
        if (i + 1) % 500 == 0:
            log(f"  {i + 1:,} monitoring objects through the procedure")


def project(cases: Cases, settings: Settings) -> tuple[Any, Any]:
    """The case and monitoring views brought up to date, as the alerts process does."""
    case_list, monitoring = open_case_views(settings)
    for view, kind in ((case_list, "case"), (monitoring, "monitoring")):
        made = partial(docs, cases.case, cases.repository.get, kind=kind)
        ViewFollower(cases, view, made, f"{kind}_list").catch_up()
    return case_list, monitoring


def copies(monitoring: Any, real: int, total: int) -> None:
    """The real documents again under new references until ``total``."""
    originals = monitoring.search(limit=real, status="monitored").items
    batch: list[Any] = []
    for i in range(real, total):
        p, doc = place(i), originals[i % len(originals)]
        batch.append(doc.model_copy(update={
            "household_id": p.household_id, "township": p.township, "village": p.village,
        }))  # fmt: skip
        if len(batch) == 5000:
            monitoring.save(batch, None)
            batch = []
    if batch:
        monitoring.save(batch, None)


# The kernel carries a process's peak resident set across exec, and a child
# of this process (large after the cases it made) would report this process's
# peak as its own; a small launcher starts the export and reports the
# export's own usage (its maxrss in kB, its CPU) as JSON in a file.
_LAUNCHER = """
import json, os, subprocess, sys
p = subprocess.Popen(sys.argv[2:])
_, status, u = os.wait4(p.pid, 0)
code = os.waitstatus_to_exitcode(status)
with open(sys.argv[1], "w") as f:
    json.dump({"code": code, "maxrss_kb": u.ru_maxrss, "cpu_s": u.ru_utime + u.ru_stime}, f)
sys.exit(code)
"""


def export(run: Run, out: Path) -> dict[str, Any]:
    """``povwatch export monitoring``: its wall time, peak memory and rows."""
    usage_file = out.with_suffix(".usage.json")
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, str(usage_file),
         sys.executable, "-m", "services.cli", "export", "monitoring", "--out", str(out)],
        env=run.env(COLUMNS="200"), cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    output, errors = done.stdout, done.stderr
    if done.returncode != 0:
        raise RuntimeError(f"povwatch export failed: {errors[-2000:]}")
    usage = json.loads(usage_file.read_text())
    found = re.search(r"([\d,]+) rows written", output)
    return {
        "seconds": seconds,
        "cpu_s": usage["cpu_s"],
        "peak_rss_mb": usage["maxrss_kb"] / 1024,
        "rows": int(found.group(1).replace(",", "")) if found else -1,
        "bytes": out.stat().st_size,
    }


def ledger_figures(base: Settings, total: int, real: int) -> dict[str, Any]:
    run = Run(base, "ledgers")
    try:
        today = countyday.today()
        clock = Clock()
        cases = open_cases(run.settings, clock)
        try:
            log(f"ledgers: {real:,} monitoring objects through the procedure")
            t0 = time.perf_counter()
            real_objects(cases, clock, real, today)
            case_list, monitoring = project(cases, run.settings)
            real_s = time.perf_counter() - t0
        finally:
            cases.close()
        log(f"  {total - real:,} copies of their documents")
        copies(monitoring, real, total)
        monitored = monitoring.search(limit=1, status="monitored").total
        case_list.datastore.close()
        monitoring.datastore.close()
        log(f"  povwatch export monitoring over {monitored:,} monitoring objects")
        with tempfile.TemporaryDirectory() as tmp:
            figures = export(run, Path(tmp) / "ledger.xlsx")
    finally:
        run.drop()
    return {
        "objects": monitored, "real": real, "real_s": real_s, **figures,
        "targets": {"seconds": SECONDS_TARGET, "peak_rss_mb": RSS_TARGET_MB},
    }  # fmt: skip


def rows(f: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (
            f"ledgers: {f['objects']:,} monitoring objects ({f['real']:,} through the procedure)",
            f"{f['rows']:,} rows, {f['bytes'] / 2**20:.1f} MB",
            f"the real ones in {f['real_s']:.0f} s",
        ),
        (
            "  povwatch export monitoring, wall time",
            f"{f['seconds']:.1f} s ({f['cpu_s']:.1f} s of CPU)",
            f"{f['seconds'] / SECONDS_TARGET:.2f} of the {SECONDS_TARGET:.0f} s target",
        ),
        (
            "  povwatch export monitoring, peak memory",
            f"peak {f['peak_rss_mb']:.0f} MB",
            f"{f['peak_rss_mb'] / RSS_TARGET_MB:.2f} of the {RSS_TARGET_MB:.0f} MB target",
        ),
    ]
