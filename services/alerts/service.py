"""The alerts process: triggers from the households' store become help tasks;
tasks are projected into their view and published to townships; scheduled
jobs sweep deadlines, re-assess households as dates move, and propose risk
clearance reviews.

Several alerts processes may run; one leads (services/infra/leadership.py)
and only its followers and jobs write: the tasks view, the relay's position
and the jobs' periods each have one writer, while every process answers
requests from the alerts store."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from functools import partial

import uvicorn
from apscheduler.schedulers.background import BackgroundScheduler
from fastapi import FastAPI

from domain import countyday
from domain.countyday import now as county_now
from services.alerts import bootstrap, web
from services.alerts import schedule as timetable
from services.alerts.relay import TaskRelay
from services.cases.relay import CaseRelay
from services.infra import httpserver, kafka, workcalendar
from services.infra.production import warn_development_defaults
from services.infra.settings import Settings

log = logging.getLogger(__name__)


class AlertsService:
    def __init__(
        self, settings: Settings, clock: Callable[[], datetime] = county_now, http: bool = False
    ) -> None:
        self.settings, self.clock, self.http = settings, clock, http
        warn_development_defaults(settings)
        self.parts = p = bootstrap.build(settings, clock)
        # The parts tests and commands reach for by name.
        self.alerts, self.households, self.tasks, self.risk = (
            p.alerts,
            p.households,
            p.tasks,
            p.risk,
        )
        self.accounts, self.triggers, self.task_view = p.accounts, p.triggers, p.task_view
        self.relay_position, self.jobs, self.leadership = p.relay_position, p.jobs, p.leadership
        self.cases, self.case_list, self.monitoring = p.cases, p.case_list, p.monitoring
        self.relay: TaskRelay | None = None
        self.case_relay: CaseRelay | None = None
        self.scheduler: BackgroundScheduler | None = None
        self.server: uvicorn.Server | None = None
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []
        self.leading = threading.Event()

    # -- scheduled jobs (each records its period; a second run is a no-op) ------

    def run_job(self, name: str) -> int:
        return self.jobs.run(name)

    def run_job_if_leading(self, name: str) -> int:
        return self.run_job(name) if self.leading.is_set() else 0

    def reload_config(self) -> str | None:
        """Reads the rules and policy files again. A bad file is refused
        with its line and reason, and the running rules stay as they were;
        returns that reason, or None when the new files are in force."""
        try:
            timetable.reload_rules(self.parts)
        except (OSError, ValueError) as e:
            log.error("configuration not reloaded, keeping the last good one: %s", e)
            return str(e)
        log.info("configuration reloaded")
        return None

    def lags(self) -> dict[str, int]:
        lags = {f.name: f.lag() for f in self.parts.followers()}
        for relay in (self.relay, self.case_relay):
            if relay is not None:
                lags[relay.name] = relay.lag()
        return lags

    def web_app(self) -> FastAPI:
        return web.web_app(self.parts, self.lags)

    # -- running -----------------------------------------------------------------

    def catch_up(self) -> None:
        """Processes everything pending once (tests and the demo use it)."""
        while any([f.run_once() for f in self.parts.followers()]):
            pass

    def start(self, relay: bool = True, schedule: bool = False) -> AlertsService:
        if self.threads:  # already running (entered after an explicit start)
            return self
        kafka.ensure_topics(self.settings)
        # Several alerts processes may run; one leads, the others stand by.
        leading, stop = self.leading, self.stop_event
        targets: list[Callable[[], None]] = [lambda: self.leadership.watch(leading, stop)]
        targets += [partial(f.follow, stop, leading=leading) for f in self.parts.followers()]
        targets.append(partial(self.parts.feeds.follow_dead_letters, stop))
        if relay:
            self.relay = task_relay = bootstrap.relay(self.parts)
            self.case_relay = case_relay = bootstrap.case_relay(self.parts)
            targets.append(lambda: task_relay.follow(stop, leading=leading))
            targets.append(lambda: case_relay.follow(stop, leading=leading))
        if self.http:
            port = self.settings.alerts_port
            self.server = httpserver.server(self.web_app(), self.settings, port)
            targets.append(self.server.run)
        self.threads = [threading.Thread(target=t, daemon=True) for t in targets]
        for t in self.threads:
            t.start()
        if schedule:
            self.scheduler = timetable.scheduler(
                self.settings, self.run_job_if_leading, self.reload_config
            )
            self.scheduler.start()
        workcalendar.report(self.cases.calendar, countyday.day(self.clock()))
        log.info("alerts running: store=%s", self.settings.store)
        return self

    def stop(self) -> None:
        self.stop_event.set()
        if self.scheduler:
            self.scheduler.shutdown(wait=False)
        if self.server:
            self.server.should_exit = True
        for t in self.threads:
            t.join(timeout=30)
        self.parts.close()

    def __enter__(self) -> AlertsService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
