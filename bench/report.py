"""The monthly report at a county's size: how long its job takes to compute
a month's figures, and the report's page and JSON over HTTP once they are
computed.

The store, its open cases and the alerts process are the cases section's
(``bench/cases.py``): the households' store from the growth runs' month of
feeds, open cases through ``Cases.take_lead`` taken through the procedure's
stages. Here the cases left at the county's decision are decided (each a
monitoring object, of the three categories in turn, with a help plan of two
measures, one done), so the report has monitoring objects, measures and a
trend to count. The alerts process starts, its followers bring the views up
to date, the report's job runs as the scheduler runs it (last month's final
figures and this month's so far, in this process, timed), and requests go
to the alerts process in rounds: the county office's page
``GET /inbox/reports/monthly?month=...`` (cookie) and ``GET
/reports/monthly/{month}`` (token)."""

from __future__ import annotations

import http.client
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import cases, opencases
from bench.common import Run, log, pct, stop
from bench.measures import end_to_end
from domain import countyday
from domain.access import Principal, Role
from domain.countyday import now as county_now
from domain.report import month_of, previous_month
from services.alerts.bootstrap import open_case_views, open_cases
from services.households.statusview import open_view
from services.infra.access import COOKIE, open_accounts
from services.infra.settings import Settings
from services.presentation.words import Words
from services.reports.bootstrap import open_report_job

PAGE_TARGET_MS = 2000.0  # the report's page, once its figures are computed
CATEGORIES = ("unstable", "marginal", "sudden")


def decide(run: Run, opened: list[opencases.Opened]) -> int:
    """The cases left at the county's decision become monitoring objects,
    each with a plan of two measures (the first done)."""
    clock = opencases.Clock()
    store = open_cases(run.settings, clock)
    approver = Principal("approver", Role.APPROVER)
    decided = 0
    try:
        for i, o in enumerate(c for c in opened if c.stage == "county_decision"):
            clock.now = datetime.now(UTC) - timedelta(hours=1)
            category = opencases.fitting(
                CATEGORIES[i % len(CATEGORIES)], store.case(o.case_id).card
            )
            store.act(o.case_id, "decide", approver, approve=True, category=category)
            staff = Principal(f"staff-{o.township}", Role.STAFF, township=o.township)
            hid = store.case(o.case_id).household_id
            due = countyday.day(clock.now) + timedelta(days=30)
            for kind, department in (("medical_aid", "县医保局"), ("workshop", "乡镇人社站")):
                store.plan(hid, staff, "add_measure", kind=kind, department=department, due_on=due)
            store.plan(hid, staff, "update_measure", measure_id="m1", state="done")
            decided += 1
    finally:
        store.close()
    return decided


def compute(run: Run) -> dict[str, Any]:
    """The report's job as the scheduler runs it, timed here."""
    settings = run.settings
    risk = open_view(settings)
    case_list, monitoring = open_case_views(settings)
    words = Words("zh")
    job = open_report_job(settings, risk, case_list, monitoring, county_now, words.term, words)
    try:
        t0 = time.perf_counter()
        written = job.run()
        job_s = time.perf_counter() - t0
        this_month = month_of(countyday.today())
        months = {m: job.report(m) for m in (previous_month(this_month), this_month)}
        return {
            "job_s": job_s,
            "written": written,
            "month": this_month,
            "month_s": {m: r.compute_seconds for m, r in months.items() if r},
            "monitoring_objects": sum(
                months[this_month].sections[1].figures["by_category"].values()
            ),  # fmt: skip
            "report_kb": len(months[this_month].model_dump_json()) / 1024,
        }
    finally:
        for v in (risk, case_list, monitoring, job.view):
            v.datastore.close()


def get(conn: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> float:
    start = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status != 200 or not body:
        raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
    return elapsed


def serve(run: Run, rounds: int) -> dict[str, Any]:
    """The alerts process brings the views up to date; the job computes the
    figures (here, timed); the requests go to the alerts process."""
    accounts = open_accounts(run.settings)
    try:
        token = accounts.issue("county-report", Role.COUNTY, "bench")
        signed_in = accounts.sign_in(token)  # the inbox's cookie holds a session, not the token
        assert signed_in is not None
        session = signed_in[0]
    finally:
        accounts.close()
    port = cases.free_port()
    with tempfile.TemporaryFile("w+") as errors:
        proc = cases.start_alerts_http(run, port, errors)
        try:
            catch_up_s = cases.wait_ready(proc, port, run, errors, timeout=3600)
            log(f"  views caught up in {catch_up_s:.0f} s; the report's job: last month's "
                "final figures and this month's so far")  # fmt: skip
            computed = compute(run)
            log(f"  computed in {computed['job_s']:.1f} s; {rounds} rounds of requests")
            month = computed["month"]
            requests = {
                "page": (
                    f"/inbox/reports/monthly?month={month}",
                    {"Cookie": f"{COOKIE}={session}"},
                ),
                "json": (f"/reports/monthly/{month}", {"Authorization": f"Bearer {token}"}),
            }
            times: dict[str, list[float]] = {k: [] for k in requests}
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for i in range(rounds + 3):  # three rounds of warm-up
                for name, (path, headers) in requests.items():
                    ms = get(conn, path, headers)
                    if i >= 3:
                        times[name].append(ms)
            conn.close()
        finally:
            stop(proc)
    latency = {
        k: {"p50_ms": pct(v, 0.5), "p95_ms": pct(v, 0.95), "requests": len(v)}
        for k, v in times.items()
    }
    return {**computed, "catch_up_s": catch_up_s, "latency": latency}


def report_figures(
    base: Settings, households: int, count: int, rounds: int, ingest_processes: int = 1
) -> dict[str, Any]:
    started = time.perf_counter()
    log(f"report: the store of {households:,} households (the growth runs' month of feeds)")
    _, run = end_to_end(base, households, 1, ingest_processes, keep=True)
    store_s = time.perf_counter() - started
    try:
        log(f"  {count:,} open cases through Cases.take_lead; those at the decision decided")
        t0 = time.perf_counter()
        opened = opencases.open_cases_for(run, count, countyday.today())
        decided = decide(run, opened)
        open_s = time.perf_counter() - t0
        opencases.caught_up_triggers(run)
        figures = serve(run, rounds)
    finally:
        run.drop()
    return {
        "households": households, "open_cases": len(opened), "decided": decided,
        "store_s": store_s, "open_s": open_s, **figures,
        "targets": {"page_p95_ms": PAGE_TARGET_MS},
    }  # fmt: skip


def rows(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    months = ", ".join(f"{m} {s:.1f} s" for m, s in r["month_s"].items())
    out = [
        (
            f"report: {r['households']:,} households, {r['open_cases']:,} cases",
            f"{r['monitoring_objects']:,} monitoring objects",
            f"store {r['store_s']:.0f} s, cases {r['open_s']:.0f} s",
        ),
        ("  the report's job (two months)", f"{r['job_s']:.1f} s", f"by month: {months}"),
    ]
    for name, label in (("page", "county's report page"), ("json", "GET /reports/monthly/{m}")):
        m = r["latency"][name]
        out.append((
            f"  {label} p50 / p95", f"{m['p50_ms']:.0f} ms / {m['p95_ms']:.0f} ms",
            f"{m['p95_ms'] / PAGE_TARGET_MS:.3f} of the {PAGE_TARGET_MS:.0f} ms target; "
            f"{m['requests']} requests, {r['report_kb']:.0f} KB document",
        ))  # fmt: skip
    return out
