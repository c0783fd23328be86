"""The monitoring procedure at a county's size: staff's work lists, the
county's overview and stage actions, over HTTP, from the alerts process.

The households' store and risk view are made as the growth runs make them
(the county's month of feeds through the monitor processes). Open cases are
real aggregates (``bench/opencases.py``): opened through ``Cases.take_lead``
for households of the risk view, spread over every township and village,
most at home verification, the rest taken through the procedure's stages by
the roles that act at them (on dates in the past, so some stages are
overdue). The alerts process then starts as a process of its own, caught
up with the households' store (its rules' position recorded at the store's
end, as for a process that has been running; reading a store from the start
is the ``alerts_process`` figure), its followers bring the cases and
monitoring views and the cases' relay up to date, and requests go to it with
keep-alive connections, in rounds (each kind of request once a round).
"""

from __future__ import annotations

import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from bench.common import ROOT, Run, log, pct, peak_rss_mb, stop
from bench.measures import end_to_end
from bench.opencases import Opened, caught_up_triggers, open_cases_for
from domain import countyday
from domain.access import Role
from services.infra.access import open_accounts
from services.infra.settings import Settings

LIST_TARGET_MS = 300.0  # a staff's case list and the county's overview, p95
ACTION_TARGET_MS = 200.0  # a stage action, p95
RSS_TARGET_MB = 500.0  # the alerts process's peak resident memory

REQUESTS = (
    ("township_staff_list", "township staff's GET /cases?mine=true"),
    ("village_staff_list", "village staff's GET /cases?mine=true"),
    ("reviewer_list", "township reviewer's GET /cases?mine=true"),
    ("county_overview", "county's GET /cases/overview"),
    ("verification", "POST /cases/{id}/verification"),
)


# -- the alerts process ---------------------------------------------------------------


def lag(run: Run) -> int:
    """Notifications of the cases store the views and the relay have yet to handle."""
    with run.connect() as conn:
        end = run.scalar("SELECT MAX(notification_id) FROM {schema}.cases_events", conn)
        done = [
            run.scalar(
                f"SELECT MAX(notification_id) FROM {{schema}}.{table}_tracking "
                "WHERE application_name = 'Cases'",
                conn,
            )
            for table in ("caselist", "monitoringlist", "caserelay")
        ]
    return max(end - d for d in done)


def start_alerts_http(run: Run, port: int, errors: Any) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", "alerts", "--http"],
        env=run.env(POVWATCH_ALERTS_PORT=str(port)),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=errors,
    )


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One account's keep-alive connection to the alerts process. The server
    closes a connection idle for 5 s (uvicorn's default): one idle for 4 s
    is closed first, and the request opens a new one (its time counted)."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.used = time.perf_counter()

    def call(self, method: str, path: str, body: Any = None) -> tuple[float, Any]:
        data = None if body is None else json.dumps(body)
        start = time.perf_counter()
        if start - self.used > 4.0:
            self.conn.close()
        self.conn.request(method, path, body=data, headers=self.headers)
        response = self.conn.getresponse()
        payload = response.read()
        self.used = time.perf_counter()
        elapsed = (self.used - start) * 1000
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: {response.status} {payload[:500]!r}")
        return elapsed, json.loads(payload)

    def close(self) -> None:
        self.conn.close()


def wait_ready(proc: subprocess.Popen, port: int, run: Run, errors: Any, timeout: float) -> float:
    start = time.perf_counter()
    while True:
        if proc.poll() is not None:
            errors.seek(0)
            raise RuntimeError(f"the alerts process exited: {errors.read()[-2000:]}")
        if time.perf_counter() - start > timeout:
            raise RuntimeError(f"the alerts process did not catch up within {timeout:.0f} s")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            up = conn.getresponse().status == 200
            conn.close()
        except OSError:
            up = False
        if up and lag(run) == 0:
            return time.perf_counter() - start
        time.sleep(0.5)


def measure(
    port: int, tokens: dict[str, str], staff: dict[str, str], verify: list[Opened], rounds: int,
    warmup: int,
) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Each kind of request once a round; the first ``warmup`` rounds are not kept."""
    clients = {name: Client(port, token) for name, token in tokens.items()}
    staff_clients = {t: Client(port, token) for t, token in staff.items()}
    body = {
        "visited_on": countyday.today().isoformat(), "members": 2, "labour_capable": 1,
        "income_estimate_yuan": 6000, "hardship": ["income_below_line"], "consent": True,
        "note": "入户核实",
    }  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name, _ in REQUESTS}
    totals: dict[str, int] = {}
    try:
        for r in range(warmup + rounds):
            took = {}
            for name in ("township_staff_list", "village_staff_list", "reviewer_list"):
                took[name], page = clients[name].call("GET", "/cases?mine=true")
                totals[name] = page["total"]
            took["county_overview"], view = clients["county"].call("GET", "/cases/overview")
            totals["county_overview"] = view["totals"]["open"]
            case = verify[r]
            took["verification"], done = staff_clients[case.township].call(
                "POST", f"/cases/{case.case_id}/verification", body
            )
            assert done["stage"] == "crosscheck", done["stage"]
            if r >= warmup:
                for name, ms in took.items():
                    times[name].append(ms)
    finally:
        for c in [*clients.values(), *staff_clients.values()]:
            c.close()
    return {
        name: {
            "p50_ms": statistics.median(times[name]),
            "p95_ms": pct(times[name], 0.95),
            "requests": len(times[name]),
            "total": totals.get(name),
        }
        for name, _ in REQUESTS
    }


def cases_figures(
    base: Settings,
    households: int,
    count: int,
    rounds: int,
    ingest_processes: int = 1,
    keep: bool = False,
) -> dict[str, Any]:
    """``keep``: the schema is left for inspection (EXPLAIN), its name logged."""
    started = time.perf_counter()
    log(f"cases: the store of {households:,} households (the growth runs' month of feeds)")
    _, run = end_to_end(base, households, 1, ingest_processes, keep=True)
    store_s = time.perf_counter() - started
    try:
        today = countyday.today()
        log(f"  {count:,} open cases through Cases.take_lead")
        t0 = time.perf_counter()
        opened = open_cases_for(run, count, today)
        open_s = time.perf_counter() - t0
        caught_up_triggers(run)
        figures = serve(run, opened, rounds)
    finally:
        if keep:
            log(f"  kept the schema {run.settings.postgres_schema}")
        else:
            run.drop()
    by_stage: dict[str, int] = {}
    for o in opened:
        by_stage[o.stage] = by_stage.get(o.stage, 0) + 1
    return {
        "households": households,
        "open_cases": len(opened),
        "by_stage": by_stage,
        "store_s": store_s,
        "open_s": open_s,
        **figures,
        "targets": {
            "list_p95_ms": LIST_TARGET_MS,
            "action_p95_ms": ACTION_TARGET_MS,
            "peak_rss_mb": RSS_TARGET_MB,
        },
    }


def by_turns(cases: list[Opened]) -> list[Opened]:
    """The cases township by township in turns: each township's staff acts
    once every so many rounds."""
    queues: dict[str, list[Opened]] = {}
    for c in cases:
        queues.setdefault(c.township, []).append(c)
    out = []
    while any(queues.values()):
        for q in queues.values():
            if q:
                out.append(q.pop(0))
    return out


def serve(run: Run, opened: list[Opened], rounds: int) -> dict[str, Any]:
    """The alerts process started over the store; accounts issued; the requests."""
    warmup = 10
    verify = by_turns([o for o in opened if o.stage == "verify"])
    if len(verify) < warmup + rounds:
        raise ValueError(f"{len(verify)} cases at verification for {warmup + rounds} actions")
    # The township with the most cases, and its village with the most.
    townships: dict[str, int] = {}
    villages: dict[tuple[str, str], int] = {}
    for o in opened:
        townships[o.township] = townships.get(o.township, 0) + 1
        villages[(o.township, o.village)] = villages.get((o.township, o.village), 0) + 1
    t = max(townships, key=lambda k: (townships[k], k))
    v = max((k for k in villages if k[0] == t), key=lambda k: (villages[k], k))[1]
    accounts = open_accounts(run.settings)
    try:
        tokens = {
            "township_staff_list": accounts.issue("staff-list", Role.STAFF, "bench", township=t),
            "village_staff_list": accounts.issue(
                "village-list", Role.VILLAGE, "bench", township=t, village=v
            ),
            "reviewer_list": accounts.issue("reviewer", Role.REVIEWER, "bench", township=t),
            "county": accounts.issue("county", Role.COUNTY, "bench"),
        }
        staff = {
            town: accounts.issue(f"staff-{town}", Role.STAFF, "bench", township=town)
            for town in sorted(townships)
        }
    finally:
        accounts.close()
    port = free_port()
    with tempfile.TemporaryFile("w+") as errors:
        proc = start_alerts_http(run, port, errors)
        try:
            log("  the alerts process: its followers bring the views and the relay up to date")
            catch_up_s = wait_ready(proc, port, run, errors, timeout=3600)
            log(f"  caught up in {catch_up_s:.0f} s; {rounds} rounds of requests")
            latency = measure(port, tokens, staff, verify, rounds, warmup)
            peak = peak_rss_mb(proc.pid)
        finally:
            stop(proc)
    return {
        "catch_up_s": catch_up_s,
        "township": t,
        "village": v,
        "latency": latency,
        "peak_rss_mb": peak,
    }


def rows(c: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The printed lines: each request's p50 / p95 against its target."""
    out = [
        (
            f"cases: {c['households']:,} households, {c['open_cases']:,} open cases",
            f"store {c['store_s']:.0f} s, cases {c['open_s']:.0f} s",
            f"views and relay caught up in {c['catch_up_s']:.0f} s",
        )
    ]
    for name, label in REQUESTS:
        m = c["latency"][name]
        target = ACTION_TARGET_MS if name == "verification" else LIST_TARGET_MS
        total = (
            f", {m['total']:,} cases" if m["total"] is not None and name != "verification" else ""
        )
        out.append(
            (
                f"  {label} p50 / p95",
                f"{m['p50_ms']:.0f} ms / {m['p95_ms']:.0f} ms",
                f"{m['p95_ms'] / target:.2f} of the {target:.0f} ms target; "
                f"{m['requests']} requests{total}",
            )
        )
    out.append(
        (
            "  alerts process peak memory",
            f"peak {c['peak_rss_mb']:.0f} MB",
            f"{c['peak_rss_mb'] / RSS_TARGET_MB:.2f} of the {RSS_TARGET_MB:.0f} MB target",
        )
    )
    return out
