"""The county's day: the date and time on the county's clock.

A county works to its own calendar. A stage that starts at 06:47 on Monday
in Xiangyin starts on Monday and counts its working days from Monday,
whatever zone the server runs in and whatever zone an instant was written
in. So every date the product derives from an instant (a rule's today, a
form's "not after today", a stage's start and deadline, a report's month, a
ledger's dates, an as-of day, a push's quiet hours) is that instant's date
in the county's zone: ``day(at)``.

The zone is the deployment's (``POVWATCH_COUNTY_ZONE``, Asia/Shanghai: the
one time China keeps, no summer time). A process chooses it once at start,
before it handles anything (``use``); it does not change while the process
runs, so a replayed event and a fresh one agree on their day.
"""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT = "Asia/Shanghai"

_zone: tzinfo = ZoneInfo(DEFAULT)


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone of that name; ValueError naming it when there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown time zone {name!r} (an IANA name such as {DEFAULT})") from e


def use(name: str) -> None:
    """Sets the county's zone for this process (at start, from the settings)."""
    global _zone
    _zone = zone_named(name)


def zone() -> tzinfo:
    return _zone


def now() -> datetime:
    """The county's clock: an aware time in the county's zone."""
    return datetime.now(_zone)


def today() -> date:
    return datetime.now(_zone).date()


def local(at: datetime) -> datetime:
    """``at`` on the county's clock. A naive time is taken as the county's
    wall time already (as a department's sheet writes it)."""
    return at.astimezone(_zone) if at.tzinfo else at.replace(tzinfo=_zone)


def day(at: datetime) -> date:
    """The county's date of an instant."""
    return local(at).date()


def start_of(on: date) -> datetime:
    """The first instant of a county day (its midnight)."""
    return datetime.combine(on, time.min, _zone)


def end_of(on: date) -> datetime:
    """The first instant after a county day: a day ends at the county's midnight."""
    return datetime.combine(date.fromordinal(on.toordinal() + 1), time.min, _zone)
