"""Following an application's notification log into a read model.

The read model's position is the view's own tracking record, written in the
same transaction as the documents, so a restart resumes exactly where the
view stopped. While following, the next batch is built as the last is saved
(the runner's pipelining: one save in flight, the position never past it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from eventsourcing.application import Application
from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import Notification, Tracking

from services.infra.metrics import PROJECTION_LATENCY, seconds_since
from services.infra.runner import LogRunner, follow
from services.infra.views import DocumentView

__all__ = ["ViewFollower", "follow"]


class ViewFollower(LogRunner[list[Any]]):
    """A runner whose step builds a batch's documents with ``build`` and saves
    them with the batch's tracking record in one transaction."""

    def __init__(
        self,
        upstream: Application[Any],
        view: DocumentView[Any],
        build: Callable[[Sequence[Notification]], list[Any]],
        name: str,
    ) -> None:
        super().__init__(upstream, view, self, name, limit=2000, pipelined=True)
        self.view, self.build = view, build

    # -- the step ------------------------------------------------------------------

    def prepare(self, notes: Sequence[Notification]) -> list[Any]:
        return self.build(notes)

    def record(self, work: list[Any], notes: Sequence[Notification], tracking: Tracking) -> None:
        self.view.save(work, tracking)
        newest = cast(DomainEvent, self.upstream.mapper.to_domain_event(notes[-1]))
        PROJECTION_LATENCY.labels(self.name).observe(seconds_since(newest.timestamp))

    # -- beyond following ------------------------------------------------------------

    def rebuild(self) -> int:
        """Forgets the read model and projects the whole log again."""
        with self.lock:
            self.settle()  # the save in flight lands before the view is cleared
            self.view.clear(self.upstream.name)
        return self.catch_up()
