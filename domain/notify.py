"""Pushes to the people who act, as data and pure decisions: the notification
file's receivers (WeCom and DingTalk group robots, a JSON webhook, email),
which receivers a notice goes to, whether a notice is pushed again, and when
a receiver's waiting notices go out as one message.

The timing follows Alertmanager's: a group (one receiver, one township) waits
``wait_s`` after its first notice so that a burst becomes one message, then
sends at most every ``interval_s``; what is still overdue is pushed again
after ``repeat_s``; nothing goes out in a receiver's quiet hours (it waits for
their end); households' declarations are pushed up to ``declared_per_hour``. The outbox (``domain/outbox.py``) records what these decide.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain import countyday
from domain.procedure import ActingRole
from domain.tasks import Silence

Topic = Literal[
    "lead",  # a new lead or case for a township
    "due",  # a stage comes due tomorrow
    "overdue",  # a stage is past its deadline
    "escalated",  # an overdue stage escalated to the county office
    "decided",  # the county's decision
    "help_first",  # 绿色通道: help given before the decision (先帮后认)
]
TOPICS: tuple[Topic, ...] = get_args(Topic)
# Conditions, pushed again while they hold; the others are pushed once.
REPEATED: frozenset[Topic] = frozenset({"overdue", "escalated"})

Kind = Literal["wecom", "dingtalk", "webhook", "email"]
# The robots' public endpoints; the key or token that makes a URL a group's
# is a secret and comes from the environment or a file.
ROBOT_URLS: dict[str, str] = {
    "wecom": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send",
    "dingtalk": "https://oapi.dingtalk.com/robot/send",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretRef(_Strict):
    """Where a secret is read at start: an environment variable or a file
    (a mounted secret). The notification file never holds the secret itself."""

    env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]*$")
    file: str | None = None

    @model_validator(mode="after")
    def _one(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of env (a variable's name) or file (a path)")
        return self


class Grouping(_Strict):
    wait_s: int = Field(default=30, ge=0, le=3600)
    interval_s: int = Field(default=300, ge=10, le=86400)
    repeat_s: int = Field(default=4 * 3600, ge=60, le=7 * 86400)
    # Households' own declarations are open to anyone: at most this many of
    # their new cases go to one group in a clock hour; the rest wait in the
    # inbox's lists (a crowd of senders cannot flood a township's group).
    declared_per_hour: int = Field(default=20, ge=0, le=10000)

    @model_validator(mode="after")
    def _repeat_after_interval(self) -> Grouping:
        if self.repeat_s < self.interval_s:
            raise ValueError("repeat_s must be at least interval_s")
        return self


class QuietHours(_Strict):
    """China time; ``start`` after ``end`` spans midnight (22:00 to 07:00)."""

    start: time
    end: time

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("start and end must differ")
        return self

    def holds(self, at: datetime) -> bool:
        t = countyday.local(at).time()
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    def after(self, at: datetime) -> datetime:
        """``at``, or the end of the quiet hours ``at`` falls in."""
        if not self.holds(at):
            return at
        local = countyday.local(at)
        end = datetime.combine(local.date(), self.end, countyday.zone())
        if end <= local:
            end += timedelta(days=1)
        return end


class Retry(_Strict):
    first_s: float = Field(default=5, gt=0, le=3600)
    max_s: float = Field(default=600, gt=0, le=86400)
    factor: float = Field(default=2, ge=1, le=10)

    def backoff(self, attempts: int) -> timedelta:
        """The pause after the ``attempts``-th failed attempt (1, 2, ...)."""
        seconds = self.first_s * self.factor ** max(attempts - 1, 0)
        return timedelta(seconds=min(seconds, self.max_s))


class Smtp(_Strict):
    host: str = Field(min_length=1)
    port: int = Field(default=25, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "starttls"
    username: str | None = None
    password: SecretRef | None = None
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    timeout_s: float = Field(default=10, gt=0, le=120)


class Receiver(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    kind: Kind
    township: str | None = Field(default=None, min_length=1)
    county: bool = False  # every township's notices for its roles
    roles: tuple[ActingRole, ...] = Field(min_length=1)
    topics: tuple[Topic, ...] = TOPICS
    url: str | None = Field(default=None, pattern=r"^https?://")
    key: SecretRef | None = None  # WeCom's key, DingTalk's access token
    secret: SecretRef | None = None  # DingTalk's signing secret, a webhook's bearer token
    to: tuple[str, ...] = ()
    grouping: Grouping | None = None
    quiet_hours: QuietHours | None = None

    @model_validator(mode="after")
    def _complete(self) -> Receiver:
        if self.county == (self.township is not None):
            raise ValueError("name a township, or set county: true (not both)")
        if self.kind in ("wecom", "dingtalk") and self.key is None:
            raise ValueError(
                f"a {self.kind} robot needs key (its key or access token's env or file)"
            )
        if self.kind == "webhook" and self.url is None:
            raise ValueError("a webhook needs url")
        if self.kind == "email":
            if not self.to:
                raise ValueError("an email receiver needs to (addresses)")
            bad = [a for a in self.to if "@" not in a or any(c.isspace() for c in a)]
            if bad:
                raise ValueError(f"not an address: {bad[0]!r}")
        return self

    def endpoint(self) -> str:
        return self.url or ROBOT_URLS.get(self.kind, "")

    def takes(self, notice: Notice) -> bool:
        return (
            notice.topic in self.topics
            and (self.county or self.township == notice.township)
            and not set(self.roles).isdisjoint(notice.roles)
        )


class NotifyConfig(_Strict):
    base_url: str = Field(default="http://localhost:8001", pattern=r"^https?://[^\s]+$")
    grouping: Grouping = Grouping()
    retry: Retry = Retry()
    smtp: Smtp | None = None
    receivers: tuple[Receiver, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> NotifyConfig:
        ids = [r.id for r in self.receivers]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"receiver ids repeat: {', '.join(repeated)}")
        if self.smtp is None and any(r.kind == "email" for r in self.receivers):
            raise ValueError("email receivers need the smtp section")
        return self

    def receivers_for(self, notice: Notice) -> list[Receiver]:
        return [r for r in self.receivers if r.takes(notice)]

    def grouping_of(self, receiver: Receiver) -> Grouping:
        return receiver.grouping or self.grouping

    def link(self, case_id: str) -> str:
        return f"{self.base_url.rstrip('/')}/inbox/cases/{case_id}"


@dataclass(frozen=True)
class Notice:
    """One thing to tell a township. No personal detail: the household's
    registry reference and village only (``household_id`` is the opaque id
    the silences name, never shown)."""

    topic: Topic
    case_id: str
    township: str
    village: str
    household_ref: str
    household_id: str
    roles: tuple[str, ...]  # who acts on it
    at: datetime
    stage: str = ""
    due: date | None = None
    detail: str = ""  # a category or outcome code, never free text
    factors: tuple[str, ...] = ()
    declared: bool = False  # a case a household's own declaration opened

    @property
    def identity(self) -> str:
        """Same identity, same thing: a one-off is pushed once; a condition
        (overdue) is pushed again after the receiver's repeat interval."""
        return f"{self.case_id}:{self.topic}:{self.stage}:{self.due or ''}"


def admitted(notice: Notice, last_pushed: datetime | None, grouping: Grouping) -> bool:
    if last_pushed is None:
        return True
    if notice.topic not in REPEATED:
        return False
    return notice.at - last_pushed >= timedelta(seconds=grouping.repeat_s)


def next_send(
    first_waiting: datetime,
    last_sent: datetime | None,
    grouping: Grouping,
    quiet: QuietHours | None,
) -> datetime:
    """When a group whose oldest waiting notice arrived at ``first_waiting``
    may send: after the group's wait, not sooner than an interval after its
    last message, and outside the receiver's quiet hours."""
    at = first_waiting + timedelta(seconds=grouping.wait_s)
    if last_sent is not None:
        at = max(at, last_sent + timedelta(seconds=grouping.interval_s))
    return quiet.after(at) if quiet else at


def silenced(notice: Notice, silences: Iterable[Silence], now: datetime) -> bool:
    """The silences operators set for tasks hold a household's pushes back too."""
    factors = set(notice.factors)
    return any(
        s.active(now) and s.covers(notice.household_id, notice.township, factors) for s in silences
    )
