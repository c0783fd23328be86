"""What-if runs started from the county office's page: each runs in a thread
of the serving process (its readers in processes of their own), its progress
and outcome kept in memory for the page to show and the workbook to be
downloaded. One run at a time: a what-if takes the machine's cores, and a
second would only halve both."""

from __future__ import annotations

import io
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from domain.whatif import Regime
from services.infra.settings import Settings
from services.whatif.run import Outcome, run
from services.whatif.workbook import write_changes

log = logging.getLogger(__name__)
KEEP = 5  # finished runs the page still shows (the oldest is forgotten first)


class Busy(RuntimeError):
    """A run is under way: one at a time."""


@dataclass
class Job:
    id: str
    by: str
    on: date
    policy_name: str
    rules_name: str | None
    started_at: datetime
    done: int = 0
    total: int | None = None
    outcome: Outcome | None = None
    workbook: bytes | None = None
    failed: str | None = None
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def state(self) -> str:
        if self.failed is not None:
            return "failed"
        return "done" if self.outcome is not None else "running"

    @property
    def percent(self) -> int:
        return min(100, self.done * 100 // self.total) if self.total else 0


class Runs:
    def __init__(
        self,
        settings: Settings,
        current: Callable[[], Regime],
        clock: Callable[[], datetime],
        workers: int | None = None,
    ) -> None:
        """``current``: the policy and rules the service runs with (reloaded ones)."""
        self.settings, self.current, self.clock, self.workers = settings, current, clock, workers
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(
        self, by: str, proposed: Regime, on: date, policy_name: str, rules_name: str | None
    ) -> Job:
        with self._lock:
            if any(j.state == "running" for j in self._jobs.values()):
                raise Busy("a what-if is running")
            job = Job(uuid.uuid4().hex, by, on, policy_name, rules_name, self.clock())
            self._jobs[job.id] = job
            finished = [j for j in self._jobs.values() if j.state != "running"]
            for old in sorted(finished, key=lambda j: j.started_at)[:-KEEP]:
                del self._jobs[old.id]
        current = self.current()
        threading.Thread(
            target=self._run,
            args=(job, current, proposed),
            name=f"whatif-{job.id[:8]}",
            daemon=True,
        ).start()
        return job

    def _run(self, job: Job, current: Regime, proposed: Regime) -> None:
        def progress(done: int, total: int | None) -> None:
            job.done, job.total = done, total

        try:
            outcome = run(self.settings, current, proposed, job.on, self.workers, progress)
            book = io.BytesIO()
            write_changes(outcome.changes, outcome.summary, book)
            job.workbook, job.done = book.getvalue(), outcome.households
            job.outcome = outcome
        except Exception as e:  # the page says it failed; the log says why
            log.exception("what-if %s failed", job.id)
            job.failed = type(e).__name__
        finally:
            job.finished.set()

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def recent(self) -> list[Job]:
        return sorted(self._jobs.values(), key=lambda j: j.started_at, reverse=True)
