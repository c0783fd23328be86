"""The open cases a county carries, made for the benchmarks as staff make
them: opened through ``Cases.take_lead`` for households of the risk view,
spread over every township and village, most at home verification, the rest
taken through the procedure's stages by the roles that act at them, on days
in the past (so some stages are overdue)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as daytime
from typing import Any
from uuid import UUID

from bench.common import Run, log
from domain.access import Principal, Role
from domain.vocabulary import OUT_OF_POVERTY_CARDS
from services.alerts.bootstrap import open_alerts, open_cases
from services.cases.app import Cases, Place

# Where the cases are left, by case number modulo 20: most at home
# verification, as a county's open cases are (a lead a day or two old).
STAGE_MIX = ("verify",) * 14 + ("crosscheck",) * 2 + (
    "village_review", "notice", "township_review", "county_decision",
)  # fmt: skip
# Days of history a case left at a stage needs: its steps are taken on the
# days after its lead (the notice is posted two days in, closed after five).
HISTORY = {"verify": 0, "crosscheck": 1, "village_review": 2, "notice": 2,
           "township_review": 7, "county_decision": 8}  # fmt: skip


@dataclass(frozen=True)
class Opened:
    case_id: UUID
    township: str
    village: str
    stage: str


def income_lead(at: datetime, level: str) -> dict[str, Any]:
    """Civil affairs' lead of an income below the line, as the rules write it."""
    return {
        "channel": "department", "at": at, "rule_id": "income-drop",
        "title": "收入低于监测线", "source": "civil_affairs", "level": level,
        "factors": ["income_below_line"],
    }  # fmt: skip


def places(run: Run, count: int) -> list[Place]:
    """``count`` households of the risk view at even steps in id order, of
    those with a place (a household only a department's screening knows may
    have none): the synthetic county gives household n the n-th place round
    its villages, so these are spread over every township and village."""
    with run.connect() as conn:
        rows = conn.execute(
            f"SELECT household_id, township, village, card FROM ("
            f"SELECT household_id, township, village, card, "
            f"row_number() OVER (ORDER BY household_id) AS n, count(*) OVER () AS total "
            f"FROM {run.settings.postgres_schema}.risk_status "
            f"WHERE township IS NOT NULL AND village IS NOT NULL) AS r "
            f"WHERE n % GREATEST(1, total / {int(count)}) = 0 ORDER BY household_id "
            f"LIMIT {int(count)}"
        ).fetchall()
    return [Place(h, t, v, c) for h, t, v, c in rows]


class Clock:
    """The bench's clock for the cases it opens and advances in the past."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def on(self, day: date, hour: int = 9) -> None:
        self.now = datetime.combine(day, daytime(hour), tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def fitting(category: str, card: str | None) -> str:
    """``category``, or the one that fits the household (domain.case_input)."""
    out = card in OUT_OF_POVERTY_CARDS
    if category == "unstable" and not out:
        return "marginal"
    if category == "marginal" and out:
        return "unstable"
    return category


def advance(cases: Cases, clock: Clock, case_id: UUID, place: Place, to: str, d0: date) -> None:
    """Takes an opened case through its stages up to ``to``, each on its day."""
    village = Principal(f"village-{place.township}-{place.village}", Role.VILLAGE,
                        township=place.township, village=place.village)  # fmt: skip
    steps: list[tuple[int, str, Principal, dict[str, Any]]] = [
        (0, "verify", village, {
            "visited_on": d0, "members": 3, "labour_capable": 1, "income_estimate_yuan": 6500,
            "hardship": ["income_below_line"], "consent": True, "note": "",
        }),
        (1, "authorise", village, {
            "signed": True, "signed_on": d0 + timedelta(days=1), "kept_at": "村委会",
        }),
        (1, "cross_check", Principal("county", Role.COUNTY), {"matches": True}),
        (2, "village_review", village, {
            "held_on": d0 + timedelta(days=2), "attendees": 15, "agreed": True,
            "category": fitting("unstable", place.card),
        }),
        (2, "post_notice", village, {"starts_on": d0 + timedelta(days=2), "days": 5}),
        (7, "close_notice", village, {}),
        (8, "township_review", Principal(f"reviewer-{place.township}", Role.REVIEWER,
                                         township=place.township), {"approve": True}),
    ]  # fmt: skip
    reached = {"verify": 0, "crosscheck": 1, "village_review": 3, "notice": 5,
               "township_review": 6, "county_decision": 7}[to]  # fmt: skip
    for day, action, who, kwargs in steps[:reached]:
        clock.on(d0 + timedelta(days=day), 10)
        cases.act(case_id, action, who, **kwargs)


def open_cases_for(run: Run, count: int, today: date) -> list[Opened]:
    """``count`` open cases through ``Cases.take_lead``, some taken further."""
    clock = Clock()
    cases = open_cases(run.settings, clock)
    opened = []
    try:
        chosen = places(run, count)
        for i, place in enumerate(chosen):
            stage = STAGE_MIX[i % len(STAGE_MIX)]
            spread = (i * 7919) % 14  # days: a fortnight of leads
            d0 = today - timedelta(days=HISTORY[stage] + spread)
            clock.on(d0)
            case = cases.take_lead(place, income_lead(clock.now, "yellow"))
            assert case is not None and place.township and place.village
            advance(cases, clock, case.id, place, stage, d0)
            opened.append(Opened(case.id, place.township, place.village, stage))
            if (i + 1) % 5000 == 0:
                log(f"  {i + 1:,} cases opened")
    finally:
        cases.close()
    return opened


def caught_up_triggers(run: Run) -> None:
    """Records the alerts' rules as having seen the whole households' store."""
    end = run.scalar("SELECT MAX(notification_id) FROM {schema}.monitor_events")
    alerts = open_alerts(run.settings)
    try:
        alerts.finish_job("Monitor", end, position=True)
    finally:
        alerts.close()
