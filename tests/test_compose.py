"""docker-compose.yml cannot run here (no Docker engine): check its content."""

from __future__ import annotations

from pathlib import Path

import yaml

from services.infra.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_names_the_stack_with_health_checks():
    services = compose()["services"]
    assert {"kafka", "postgres", "monitor", "alerts", "prometheus", "grafana"} <= set(services)
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    for name in ("kafka", "postgres", "monitor", "alerts", "prometheus", "grafana"):
        assert "healthcheck" in services[name], name
    assert services["monitor"]["command"] == ["monitor"]
    assert services["alerts"]["command"] == ["alerts"]


def test_every_variable_the_services_read_is_set():
    prefix = Settings.model_config["env_prefix"]
    wanted = {prefix + name.upper() for name in Settings.model_fields}
    for name in ("monitor", "alerts"):
        env = compose()["services"][name]["environment"]
        assert wanted <= set(env), f"{name} lacks {sorted(wanted - set(env))}"
        assert env["POVWATCH_STORE"] == "postgres"
        assert Settings(**{k[len(prefix) :].lower(): v for k, v in env.items() if v != ""})


def test_compose_mounts_the_prometheus_rules_and_the_dashboard_that_exist():
    services = compose()["services"]
    mounts = services["prometheus"]["volumes"] + services["grafana"]["volumes"]
    for mount in mounts:
        source = mount.split(":")[0]
        if source.startswith("./"):
            assert (ROOT / source).exists(), source
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    targets = {
        t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]
    }
    env = services["monitor"]["environment"]
    assert targets == {
        f"monitor:{env['POVWATCH_MONITOR_PORT']}",
        f"alerts:{env['POVWATCH_ALERTS_PORT']}",
    }
    assert "/etc/prometheus/alerts.yml" in config["rule_files"]


def test_prometheus_scrapes_with_a_metrics_only_token():
    """The token compose issues for Prometheus is of the metrics role (it
    opens /metrics and nothing else, tests/test_roles_scope.py), and it is
    the file both scrape jobs send."""
    services = compose()["services"]
    issue = services["accounts"]["command"]
    assert issue[:3] == ["accounts", "issue", "prometheus"]
    assert issue[issue.index("--role") + 1] == "metrics"
    token_file = issue[issue.index("--token-file") + 1]
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    for job in config["scrape_configs"]:
        assert job["authorization"] == {"type": "Bearer", "credentials_file": token_file}
