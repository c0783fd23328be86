"""Households as of a date, read from the households' store: one stream,
or a page of them in one query, handed to the domain's pure fold
(``domain.asof``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from domain import countyday
from domain.asof import AsOf, Line, as_of, check_date
from domain.policy import PolicyBook
from schemas.asof import AsOfEntryOut, AsOfOut
from schemas.status import RiskStatusOut
from services.households.app import Households
from services.households.ids import household_id as id_of
from services.households.reads import load_streams


def today_in_china() -> date:
    return countyday.today()


def household_as_of(
    households: Households, policies: PolicyBook, code: str, on: date, today: date | None = None
) -> AsOf | None:
    """One household on ``on`` (None: no stream); raises ``AsOfError`` for a
    day that has not begun or that no policy covers."""
    check_date(on, today or today_in_china())
    events = households.history(code)
    return as_of(code, events, on, policies) if events else None


def page_as_of(
    households: Households,
    policies: PolicyBook,
    codes: Sequence[str],
    on: date,
    today: date | None = None,
) -> dict[str, AsOf]:
    """Each of these households on ``on`` that has a stream, read in one query."""
    check_date(on, today or today_in_china())
    ids = {id_of(code): code for code in codes}
    streams = load_streams(households, ids)
    return {ids[oid]: as_of(ids[oid], events, on, policies) for oid, events in streams.items()}


def as_of_out(seen: AsOf, with_timeline: bool = True) -> AsOfOut:
    """The API's and the CLI's shape of a household as of a date."""
    return AsOfOut(
        household_id=seen.household_id,
        as_of=seen.on,
        cutoff=seen.cutoff,
        policy_from=seen.policy_from,
        known_then=seen.risk_then and RiskStatusOut.model_validate(seen.risk_then),
        known_now=seen.risk_now and RiskStatusOut.model_validate(seen.risk_now),
        changed=seen.changed,
        late_facts=len(seen.late),
        timeline=[timeline_out(line) for line in seen.lines] if with_timeline else [],
    )


def timeline_out(line: Line) -> AsOfEntryOut:
    e = line.entry
    return AsOfEntryOut(
        version=e.version,
        occurred_at=e.occurred_at,
        source=e.source,
        event_id=e.event_id,
        kind=e.kind,
        text=e.text,
        recorded_at=line.recorded_at,
        late=line.late,
    )
