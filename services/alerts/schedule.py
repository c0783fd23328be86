"""The alerts process's schedule: the jobs (each runs only where this
process leads) and the configuration files' watch, which reloads the rules,
policy and procedure when they change on disk."""

from __future__ import annotations

from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from domain import countyday
from services.alerts.bootstrap import Parts, configuration
from services.infra.policyfile import DEFAULT_POLICY
from services.infra.procedurefile import DEFAULT_PROCEDURE
from services.infra.rulefile import DEFAULT_RULES
from services.infra.settings import Settings


def reload_rules(parts: Parts) -> None:
    """Reads the rules, policy and procedure files again (raises on a bad
    one, and the running ones stay as they were)."""
    rules, policies, procedure, calendar = configuration(parts.settings)
    parts.alerts.rules, parts.alerts.policies, parts.alerts.calendar = rules, policies, calendar
    parts.cases.procedure, parts.cases.calendar = procedure, calendar


class ConfigWatch:
    """Reloads when a configuration file changes on disk."""

    def __init__(self, settings: Settings, reload: Callable[[], object]) -> None:
        self.paths = [
            settings.rules_file or DEFAULT_RULES,
            settings.policy_file or DEFAULT_POLICY,
            settings.procedure_file or DEFAULT_PROCEDURE,
        ]
        self.reload = reload
        self.seen = self._stamps()

    def _stamps(self) -> list[float]:
        return [p.stat().st_mtime if p.exists() else 0.0 for p in self.paths]

    def check(self) -> None:
        stamps = self._stamps()
        if stamps != self.seen:
            self.seen = stamps
            self.reload()


def scheduler(
    settings: Settings, run_if_leading: Callable[[str], int], reload: Callable[[], object]
) -> BackgroundScheduler:
    """The jobs' schedule (each runs only where this process leads) and the
    configuration files' watch."""
    s = BackgroundScheduler(timezone=countyday.zone())
    s.add_job(run_if_leading, "interval", hours=1, args=["escalate"], id="escalate")
    s.add_job(run_if_leading, "cron", hour=1, args=["reassess"], id="reassess")
    s.add_job(run_if_leading, "cron", hour=2, args=["clearance"], id="clearance")
    s.add_job(run_if_leading, "interval", hours=1, args=["case_escalate"], id="case_escalate")
    s.add_job(run_if_leading, "cron", hour=3, args=["monthly_report"], id="monthly_report")
    # The pushes: groups that may send become messages, due messages are
    # attempted, and each morning what comes due tomorrow or is overdue.
    s.add_job(run_if_leading, "interval", seconds=5, args=["push_flush"], id="push_flush")
    s.add_job(run_if_leading, "interval", seconds=5, args=["push_deliver"], id="push_deliver")
    s.add_job(run_if_leading, "cron", hour=8, args=["push_scan"], id="push_scan")
    s.add_job(ConfigWatch(settings, reload).check, "interval", seconds=15, id="config")
    return s
