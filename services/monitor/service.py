"""The monitor process: the Kafka ingestor and the risk status projection,
each on its own thread, until stopped."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import uvicorn
from apscheduler.schedulers.background import BackgroundScheduler

from domain import countyday
from services.households.app import Households
from services.households.names import HeadNames
from services.households.statusview import RiskStatusView
from services.infra import httpserver, kafka
from services.infra.access import Accounts
from services.infra.leadership import Leadership
from services.infra.metrics import run_job
from services.infra.policyfile import load_policies
from services.infra.settings import Settings
from services.monitor.api import create_app
from services.monitor.consumer import Ingestor
from services.monitor.riskstatus import RiskStatusProjection
from services.monitor.uploads import Uploads

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MonitorParts:
    """What a monitor process runs (``services.monitor.bootstrap`` builds them)."""

    households: Households
    view: RiskStatusView
    projection: RiskStatusProjection
    accounts: Accounts
    uploads: Uploads
    leadership: Leadership
    names: HeadNames | None = None


class MonitorService:
    def __init__(self, settings: Settings, parts: MonitorParts, http: bool = False) -> None:
        self.settings = settings
        self.http = http
        self.server: uvicorn.Server | None = None
        self.scheduler: BackgroundScheduler | None = None
        self.ingestor: Ingestor | None = None
        self.leadership = parts.leadership
        self.leading = threading.Event()
        self.parts = parts
        self.households = parts.households
        self.view = parts.view
        self.accounts = parts.accounts
        self.uploads = parts.uploads
        self.projection = parts.projection
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self, schedule: bool = False) -> MonitorService:
        if self.threads:  # already running (entered after an explicit start)
            return self
        kafka.ensure_topics(self.settings)
        roles = self.settings.roles()
        if schedule and "project" in roles:
            # The 12-month window moves and loans fall due with the date alone.
            self.scheduler = BackgroundScheduler(timezone=countyday.zone())
            self.scheduler.add_job(
                lambda: (
                    run_job("reevaluate", self.projection.reevaluate)
                    if self.leading.is_set()
                    else 0
                ),
                "cron",
                hour=0,
                minute=30,
                id="reevaluate",
            )
            self.scheduler.start()
        if "ingest" in roles:
            ingestor = self.ingestor = Ingestor(
                self.settings, self.households, self.accounts, self.parts.names
            )
            self.threads.append(
                threading.Thread(target=self._guard(ingestor.run), name="ingest", daemon=True)
            )
        if "project" in roles:
            # Any number may offer to project; one leads (the view has one position).
            self.threads.append(
                threading.Thread(
                    target=self.leadership.watch, args=(self.leading, self.stop_event), daemon=True
                )
            )
            self.threads.append(
                threading.Thread(
                    target=self.projection.follow,
                    args=(self.stop_event,),
                    kwargs={"leading": self.leading},
                    name="risk",
                    daemon=True,
                )
            )
        if self.http:
            app = create_app(
                self.households,
                self.view,
                self.accounts,
                self._ready,
                self.uploads,
                policies=lambda: self.projection.policies,
                settings=self.settings,
            )
            self.server = httpserver.server(app, self.settings, self.settings.monitor_port)
            self.threads.append(threading.Thread(target=self.server.run, name="http", daemon=True))
        for t in self.threads:
            t.start()
        log.info(
            "monitor running: store=%s topic=%s", self.settings.store, self.settings.events_topic
        )
        return self

    def reload_config(self) -> str | None:
        """Reads the policy file again; a bad one is refused (with its entry
        and reason) and the policy in force stays."""
        try:
            policies = load_policies(self.settings)
        except (OSError, ValueError) as e:
            log.error("policy not reloaded, keeping the last good one: %s", e)
            return str(e)
        self.projection.policies = policies
        log.info("policy reloaded")
        return None

    def _ready(self) -> bool:
        ingesting = self.ingestor is None or self.ingestor.healthy
        return ingesting and kafka.reachable(self.settings)

    def _guard(self, run: Callable[[threading.Event], None]) -> Callable[[], None]:
        def target() -> None:
            try:
                run(self.stop_event)
            except Exception:
                log.exception("ingestor stopped on an error")
                self.stop_event.set()
                raise

        return target

    def stop(self) -> None:
        self.stop_event.set()
        if self.scheduler:
            self.scheduler.shutdown(wait=False)
        if self.server:
            self.server.should_exit = True
        for t in self.threads:
            t.join(timeout=30)
        self.uploads.close()
        self.households.close()
        self.view.datastore.close()
        self.accounts.close()
        if self.parts.names is not None:
            self.parts.names.close()

    def __enter__(self) -> MonitorService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
