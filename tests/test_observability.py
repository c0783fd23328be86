"""Operators' view: the metrics the services expose, checked by promtool and
scraped by a real Prometheus server; the alert rules' unit tests; the
dashboard's queries against what the services export."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.parse
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from domain.access import Role
from synthetic.sample import Builder
from tests.helpers import bearer, free_port, publish, serving, wait_for

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)
YEAR = (date(2025, 6, 1), date(2026, 5, 31))


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is required (Debian package 'prometheus'; scripts/test.sh installs it)",
            pytrace=False,
        )
    return path


@pytest.fixture
def running(broker_settings, tmp_path):
    """Monitor and alerts with their HTTP servers, on SQLite, with traffic."""
    with serving(broker_settings, tmp_path / "store", NOW) as (settings, monitor, alerts, base):
        b = Builder("obs")
        publish(
            settings,
            b.register("H-1", date(2025, 1, 1), "yellow", members=1, labour=1, township="金龙镇"),
            b.income("H-1", date(2026, 5, 31), "100.00", *YEAR),
            b.loan("H-1", date(2025, 1, 1), "L-1", "1000.00", date(2025, 12, 31)),
            (b"H-1", b"{broken"),
        )
        wait_for(lambda: alerts.tasks.search().total == 1, what="a task")
        wait_for(lambda: monitor.view.get("H-1") is not None, what="the risk status")
        alerts.run_job("escalate")
        token = alerts.accounts.issue("prometheus", Role.METRICS, "test")
        yield settings, base, alerts, token


def exported(base: dict[str, str], token: str) -> dict[str, str]:
    return {
        name: httpx.get(url + "/metrics", headers=bearer(token), timeout=10).text
        for name, url in base.items()
    }


def metric_names(texts: dict[str, str]) -> set[str]:
    names = set()
    for text in texts.values():
        for family in text_string_to_metric_families(text):
            names.add(family.name)
            names.update(s.name for s in family.samples)
    return names


def test_exposition_passes_promtool_and_carries_the_metrics(running):
    settings, base, _, token = running
    texts = exported(base, token)
    for service, text in texts.items():
        result = subprocess.run(
            [tool("promtool"), "check", "metrics"], input=text, capture_output=True, text=True
        )
        assert result.returncode == 0, f"{service}: {result.stdout}{result.stderr}"
    names = metric_names(texts)
    for name in (
        "povwatch_events_consumed_total",
        "povwatch_dlq_messages_total",
        "povwatch_ingest_latency_seconds_bucket",
        "povwatch_projection_latency_seconds_bucket",
        "povwatch_task_publish_latency_seconds_bucket",
        "povwatch_consumer_lag_messages",
        "povwatch_projection_lag_events",
        "povwatch_households",
        "povwatch_tasks_open",
        "povwatch_tasks_overdue",
        "povwatch_task_oldest_open_age_seconds",
        "povwatch_task_resolution_seconds_bucket",
        "povwatch_loan_overdue_ratio",
        "povwatch_loan_overdue_balance_ratio",
        "povwatch_scheduler_job_runs_total",
        "povwatch_scheduler_job_last_success_timestamp_seconds",
        "povwatch_store_errors_total",
        "povwatch_store_retries_total",
        "povwatch_build_info",
    ):
        assert name in names, name
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for text in texts.values()
        for f in text_string_to_metric_families(text)
        for s in f.samples
    }
    assert samples[("povwatch_households", (("card", "yellow"), ("level", "critical")))] == 1
    assert samples[("povwatch_loan_overdue_ratio", ())] == 1.0
    # A township's Chinese name is a label value like any other (UTF-8 text).
    assert samples[("povwatch_tasks_open", (("status", "open"), ("township", "金龙镇")))] == 1
    assert (
        samples[("povwatch_dlq_messages_total", (("reason", "bad_json"), ("source", "unknown")))]
        >= 1
    )


def test_readiness_reports_store_and_broker(running):
    _, base, _, token = running
    for url in base.values():
        assert httpx.get(url + "/readyz").json() == {"status": "ready"}
        assert httpx.get(url + "/metrics").status_code == 401


def test_alert_rules_pass_promtool_and_their_unit_tests():
    promtool = tool("promtool")
    rules = ROOT / "deploy/prometheus"
    check = subprocess.run(
        [promtool, "check", "rules", "alerts.yml"], cwd=rules, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    unit = subprocess.run(
        [promtool, "test", "rules", "alerts_test.yml"], cwd=rules, capture_output=True, text=True
    )
    assert unit.returncode == 0, unit.stdout + unit.stderr
    names = {
        r["alert"]
        for g in __import__("yaml").safe_load((rules / "alerts.yml").read_text())["groups"]
        for r in g["rules"]
    }
    tested = set(re.findall(r"alertname: (\w+)", (rules / "alerts_test.yml").read_text()))
    assert names == tested


def test_every_dashboard_query_names_metrics_the_services_export(running):
    _, base, _, token = running
    names = metric_names(exported(base, token)) | {"up"}
    dashboard = json.loads((ROOT / "deploy/grafana/dashboards/povwatch.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 15
    for expr in exprs:
        used = set(re.findall(r"\b(povwatch_[a-z0-9_]+|up)\b", expr))
        assert used and used <= names, (expr, used - names)


def test_a_real_prometheus_scrapes_the_services(running, tmp_path):
    settings, base, alerts, token = running
    port = free_port()
    # The project's own scrape config, pointed at this run's ports and token.
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config.pop("rule_files")
    ports = {"povwatch-monitor": settings.monitor_port, "povwatch-alerts": settings.alerts_port}
    (tmp_path / "token").write_text(token)
    for job in config["scrape_configs"]:
        job["static_configs"] = [{"targets": [f"127.0.0.1:{ports[job['job_name']]}"]}]
        job["authorization"]["credentials_file"] = str(tmp_path / "token")
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    server = subprocess.Popen(
        [
            tool("prometheus"),
            f"--config.file={path}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def query(q: str) -> float | None:
            url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    result = json.load(r)["data"]["result"]
            except OSError:
                return None
            return float(result[0]["value"][1]) if result else None

        wait_for(
            lambda: query('sum(up{job=~"povwatch-.*"})') == 2, what="both targets up", timeout=60
        )
        before = wait_for(
            lambda: query('sum(povwatch_events_consumed_total{outcome="stored"})'),
            what="the ingested count",
            timeout=30,
        )
        assert query("sum(povwatch_tasks_open)") == 1
        b = Builder("obs2")
        publish(
            settings,
            b.register("H-2", date(2025, 1, 1), "blue", members=1, labour=1),
            b.income("H-2", date(2026, 5, 31), "100.00", *YEAR),
        )
        wait_for(
            lambda: (
                (query('sum(povwatch_events_consumed_total{outcome="stored"})') or 0) >= before + 2
            ),
            what="the ingested count to move",
            timeout=30,
        )
        wait_for(
            lambda: query("sum(povwatch_tasks_open)") == 2,
            what="the task count to move",
            timeout=30,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
