"""What one household's own page in the inbox (its case's, its monitoring
record's, its risk page) adds for the account looking: what the departments
reported, and the head of household's name (户主姓名). Both depend on who
looks and are read for a single household: the work lists, the overview,
the ledgers and the exports never call this, so a name never reaches them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.access import Principal
from domain.health import sees_health
from domain.timeline import timeline
from services.households.names import HeadNames


def reported(who: Principal, history: Sequence[Any]) -> dict[str, Any]:
    """What the departments reported (the timeline) to a role that reads
    health details; to any other, which departments reported, not what."""
    events = timeline(list(history))
    if sees_health(who):
        return {"events": events, "sources": None}
    return {"events": [], "sources": sorted({e.source for e in events if e.source})}


def head_name(
    names: HeadNames | None, who: Principal, township: str | None, household_id: str
) -> str | None:
    """The head's name this page shows ``who`` (``HeadNames.shown``: the
    household's own township's staff), else None."""
    return names.shown(who, township, household_id) if names is not None else None
