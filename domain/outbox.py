"""The pushes' outbox as aggregates: what waits for a receiver, what was
pushed, and each message's delivery until the receiver took it.

An ``Outbox`` is one receiver's group for one township: notices offered to
it wait there until the group may send (``domain.notify.next_send``); taking
them makes one ``Delivery`` whose id comes from its idempotency key, so a
message is made once however often the taking is retried, and the receiver
can tell a repeat by the key. A ``Delivery`` is attempted until the receiver
accepts it, each failure recorded with the next attempt's time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.notify import Grouping, Notice, QuietHours, Retry, admitted, next_send

# What was pushed is remembered this long: a condition's identity carries its
# deadline, so an older one can no longer come back.
REMEMBER = timedelta(days=90)
ERROR_MAX = 300


def _hour(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H")


def _hour_before(hour: str) -> str:
    """The hour before (a notice a little late in the log still counts there)."""
    return _hour(datetime.strptime(hour, "%Y-%m-%dT%H").replace(tzinfo=UTC) - timedelta(hours=1))


def notice_doc(n: Notice) -> dict[str, Any]:
    doc = asdict(n)
    doc["at"] = n.at.isoformat()
    doc["due"] = n.due.isoformat() if n.due else None
    doc["roles"], doc["factors"] = list(n.roles), list(n.factors)
    return doc


def notice_of(doc: dict[str, Any]) -> Notice:
    return Notice(
        **{
            **doc,
            "at": datetime.fromisoformat(doc["at"]),
            "due": date.fromisoformat(doc["due"]) if doc.get("due") else None,
            "roles": tuple(doc["roles"]),
            "factors": tuple(doc.get("factors", ())),
        }
    )


@dataclass(frozen=True)
class Batch:
    key: str
    receiver: str
    township: str
    notices: tuple[Notice, ...]


class Outbox(Aggregate):
    @staticmethod
    def create_id(receiver: str, township: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/povwatch/outbox/{receiver}/{township}")

    @event("Opened")
    def __init__(self, receiver: str, township: str) -> None:
        self.receiver, self.township = receiver, township
        self.waiting: list[dict[str, Any]] = []
        self.pushed: dict[str, str] = {}  # identity -> when last in a message (ISO)
        self.last_sent: str | None = None
        self.messages = 0
        self.declared: dict[str, int] = {}  # clock hour (UTC) -> declarations offered

    def _last_pushed(self, identity: str) -> datetime | None:
        at = self.pushed.get(identity)
        return datetime.fromisoformat(at) if at else None

    def offer(self, notice: Notice, grouping: Grouping) -> bool:
        """Takes the notice unless it waits already, was pushed and is not
        due again, or is a declaration past the hour's cap; returns whether
        it was taken. The hour is the notice's own (its case event's time),
        so following the log again decides the same."""
        identity = notice.identity
        if any(notice_of(d).identity == identity for d in self.waiting):
            return False
        if not admitted(notice, self._last_pushed(identity), grouping):
            return False
        if notice.declared and self.declared.get(_hour(notice.at), 0) >= grouping.declared_per_hour:
            return False
        self._offered(notice=notice_doc(notice))
        return True

    @event("Offered")
    def _offered(self, notice: dict[str, Any]) -> None:
        self.waiting.append(notice)
        if notice.get("declared"):
            hour = _hour(datetime.fromisoformat(notice["at"]))
            kept = {h: n for h, n in self.declared.items() if h >= _hour_before(hour)}
            self.declared = {**kept, hour: kept.get(hour, 0) + 1}

    def sends_at(self, grouping: Grouping, quiet: QuietHours | None) -> datetime | None:
        if not self.waiting:
            return None
        first = min(datetime.fromisoformat(d["at"]) for d in self.waiting)
        last = datetime.fromisoformat(self.last_sent) if self.last_sent else None
        return next_send(first, last, grouping, quiet)

    def take(self, now: datetime, grouping: Grouping, quiet: QuietHours | None) -> Batch | None:
        """The waiting notices as one message, when the group may send."""
        when = self.sends_at(grouping, quiet)
        if when is None or now < when:
            return None
        # ASCII: the key travels in HTTP headers and mail headers.
        key = f"{self.receiver}:{self.id.hex[:12]}:{self.messages + 1}"
        notices = tuple(notice_of(d) for d in self.waiting)
        self._taken(at=now.isoformat(), key=key, identities=[n.identity for n in notices])
        return Batch(key, self.receiver, self.township, notices)

    @event("Taken")
    def _taken(self, at: str, key: str, identities: list[str]) -> None:
        for identity in identities:
            self.pushed[identity] = at
        horizon = (datetime.fromisoformat(at) - REMEMBER).isoformat()
        self.pushed = {i: t for i, t in self.pushed.items() if t >= horizon}
        self.waiting = []
        self.last_sent = at
        self.messages += 1


class Delivery(Aggregate):
    @staticmethod
    def create_id(key: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/povwatch/delivery/{key}")

    @event("Queued")
    def __init__(
        self, key: str, receiver: str, township: str, notices: list[dict[str, Any]], at: str
    ) -> None:
        self.key, self.receiver, self.township = key, receiver, township
        self.notices = notices
        self.queued_at = at
        self.state = "queued"  # queued -> sent
        self.attempts = 0
        self.next_at = at
        self.last_error = ""
        self.sent_at: str | None = None

    @classmethod
    def of(cls, batch: Batch, at: datetime) -> Delivery:
        return cls(
            key=batch.key,
            receiver=batch.receiver,
            township=batch.township,
            notices=[notice_doc(n) for n in batch.notices],
            at=at.isoformat(),
        )

    def batch(self) -> Batch:
        return Batch(
            self.key, self.receiver, self.township, tuple(notice_of(d) for d in self.notices)
        )

    def due(self, now: datetime) -> bool:
        return self.state == "queued" and datetime.fromisoformat(self.next_at) <= now

    def failed(self, at: datetime, error: str, retry: Retry) -> None:
        if self.state != "queued":
            return
        next_at = at + retry.backoff(self.attempts + 1)
        self._failed(at=at.isoformat(), error=error[:ERROR_MAX], next_at=next_at.isoformat())

    @event("Failed")
    def _failed(self, at: str, error: str, next_at: str) -> None:
        self.attempts += 1
        self.last_error, self.next_at = error, next_at

    def delivered(self, at: datetime) -> None:
        if self.state == "queued":
            self._delivered(at=at.isoformat())

    @event("Delivered")
    def _delivered(self, at: str) -> None:
        self.attempts += 1
        self.state, self.sent_at = "sent", at
