"""Moments and amounts as the packed households hold them: exact, and cheap
both ways (``services.households.packing``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal

_ZONES: dict[int, timezone] = {0: UTC}  # by offset in seconds, for unpacking
_OFFSETS: dict[tzinfo, int] = {}  # fixed-offset zones seen, for packing


def moment(moment: datetime | None) -> bytes | tuple[bytes, int] | None:
    """A moment as the 10 bytes of wall time its pickled form holds (fold
    included), with its offset from UTC in seconds when it is aware: exact,
    and cheaper both ways than arithmetic from an epoch."""
    if moment is None:
        return None
    args = moment.__reduce_ex__(4)[1]
    if len(args) == 1:  # naive (messages carry aware times; kept exact all the same)
        return args[0]
    tz = args[1]
    offset = _OFFSETS.get(tz)
    if offset is None:
        try:
            fixed = tz.utcoffset(None)  # a fixed offset, or None for a zone with rules
        except (TypeError, AttributeError, ValueError):  # a zone that needs the moment
            fixed = None
        offset = int((fixed if fixed is not None else moment.utcoffset()).total_seconds())
        if fixed is not None and len(_OFFSETS) < 64:
            _OFFSETS[tz] = offset
    return args[0], offset


def moment_of(packed: bytes | tuple[bytes, int] | None) -> datetime | None:
    if packed is None:
        return None
    if isinstance(packed, bytes):
        return datetime(packed)
    state, offset = packed
    zone = _ZONES.get(offset)
    if zone is None:
        zone = _ZONES[offset] = timezone(timedelta(seconds=offset))
    return datetime(
        state, zone
    )  # the constructor's pickle form: the same wall time, fold and offset


def dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def undec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)
