"""As of a date for one household with four years of facts: the store the
long-streams benchmark makes (the smallest county, 48 months of feeds through
Kafka and the monitor processes), then many households asked, one at a time,
what was known on a day beside what is known now.

Two days: the history's last day (every fact was recorded later, so every
one is late and known then is empty) and today (every fact known then and
now: both folds whole). Each is timed as the service call the API and the
command make (one stream read, two folds, two assessments), and over HTTP
through the monitor's app in this process (with JSON, token and access check).
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from bench.common import FIRST_MONTH, log
from bench.measures import end_to_end
from domain.access import Role
from services.households.app import Households
from services.households.asof import household_as_of, today_in_china
from services.households.statusview import open_view
from services.infra.access import open_accounts
from services.infra.policyfile import load_policies
from services.infra.settings import Settings
from services.monitor.api import create_app

BUDGET_MS = 50.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def _codes(settings: Settings, samples: int) -> list[str]:
    view = open_view(settings, create=False)
    try:
        codes, after = [], None
        while batch := view.keys(after=after, limit=500):
            codes += batch
            after = batch[-1]
    finally:
        view.datastore.close()
    return random.Random(7).sample(codes, min(samples, len(codes)))


def asof_figures(base: Settings, households: int, months: int, samples: int) -> dict[str, Any]:
    log(f"as of a date: {households:,} households, {months} months of feeds")
    made, run = end_to_end(base, households, months, 1, keep=True, history=True)
    try:
        settings = run.settings
        codes = _codes(settings, samples)
        app = Households(env={**settings.store_env("Monitor"), "CREATE_TABLE": "false"})
        view = open_view(settings, create=False)
        accounts = open_accounts(settings)
        policies = load_policies(settings)
        client = TestClient(
            create_app(app, view, accounts, policies=lambda: policies),
            headers={"Authorization": f"Bearer {accounts.issue('bench', Role.COUNTY, 'bench')}"},
        )
        days = {"history's last day": date(FIRST_MONTH.year, 1, 31), "today": today_in_china()}
        figures: dict[str, Any] = {
            "households": households,
            "months": months,
            "events": made.events,
            "events_per_household": made.events / households,
            "samples": len(codes),
            "days": {},
        }
        for label, on in days.items():
            for code in codes[:20]:  # warm the connection pool and the code paths
                household_as_of(app, policies, code, on)
            call, http, late = [], [], 0
            for code in codes:
                t = time.perf_counter()
                seen = household_as_of(app, policies, code, on)
                call.append((time.perf_counter() - t) * 1000)
                late += len(seen.late) if seen else 0
                t = time.perf_counter()
                r = client.get(f"/households/{code}", params={"as_of": on.isoformat()})
                http.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200, r.text
            figures["days"][label] = {
                "on": on.isoformat(),
                "late_facts_per_household": late / len(codes),
                "call_ms": {"p50": statistics.median(call), "p95": _pct(call, 0.95)},
                "http_ms": {"p50": statistics.median(http), "p95": _pct(http, 0.95)},
            }
            log(f"  {label}: {figures['days'][label]}")
        client.close()
        accounts.close()
        view.datastore.close()
        app.close()
    finally:
        run.drop()
    return figures


def rows(f: dict[str, Any]) -> list[tuple[str, str, str]]:
    out = [
        (
            f"as of: {f['households']:,} households, {f['months']} months",
            f"{f['events']:,} events, {f['events_per_household']:.0f} a household",
            f"{f['samples']} households asked",
        )
    ]
    for label, d in f["days"].items():
        for how in ("call", "http"):
            ms = d[f"{how}_ms"]
            name = "the service call" if how == "call" else "GET /households/{id}?as_of="
            out.append(
                (
                    f"  {label} ({d['on']}): {name} p50 / p95",
                    f"{ms['p50']:.1f} / {ms['p95']:.1f} ms",
                    f"{BUDGET_MS / ms['p95']:.1f}x under {BUDGET_MS:.0f} ms",
                )
            )
    return out
