"""The synthetic county's own departments' feeds, one function each: the
poverty office's registry, agriculture's incomes, medical insurance's
illnesses, emergency management's disasters, human resources' jobs and the
rural commercial bank's loans. Each draws from the county's generator in the
order it always has, so a seed gives the same messages; the standard's
departments are in ``synthetic.standard``."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synthetic.county import County, Household, Rates

CST = timezone(timedelta(hours=8))
Message = dict[str, Any]


@dataclass
class Numbering:
    """Makes a department's message, numbered in the order it is sent; the
    numbers give the event ids and spread the times over working hours."""

    seed: int
    mark: str  # between the seed and the number in an event id
    first_hour: int
    hours: int
    sent: int = 0

    def __call__(self, kind: str, h: Household, on: date, source: str, data: Message) -> Message:
        self.sent += 1
        n = self.sent
        at = time(self.first_hour + n % self.hours, n % 60)
        return {
            "event_id": f"{source[:4]}-{self.seed}-{self.mark}{n:09d}",
            "type": kind,
            "household_id": h.code,
            "occurred_at": datetime.combine(on, at, CST).isoformat(),
            "source": source,
            "schema_version": 1,
            "data": data,
        }


def month(start: date, k: int) -> tuple[date, date]:
    """The first and last day of the ``k``-th month from ``start``'s."""
    y, m = divmod(start.year * 12 + start.month - 1 + k, 12)
    first = date(y, m + 1, 1)
    y2, m2 = divmod(y * 12 + m + 1, 12)
    return first, date(y2, m2 + 1, 1) - timedelta(days=1)


def registered(h: Household, day: date, head: str, send: Numbering) -> Message:
    """The poverty office's registration of a carded household."""
    return send(
        "household.registered",
        h,
        day,
        "poverty-office",
        {
            "township": h.township,
            "village": h.village,
            "members": h.members,
            "labour_capable": h.labour,
            "card": h.card,
            "flags": h.flags,
            "head_name": head,
        },
    )


def last_year(h: Household, county: County, rng: random.Random, send: Numbering) -> Message:
    """The registry's yearly check: the household's income over the 12 months
    before the first month, reported the day before it."""
    day = county.start - timedelta(days=1)
    amount = max(0.0, rng.gauss(h.pci * h.members, h.pci * h.members / 20))
    year_start = county.start.replace(year=county.start.year - 1)
    return send(
        "income.reported",
        h,
        day,
        "poverty-office",
        {
            "amount_yuan": f"{amount:.2f}",
            "period_start": year_start.isoformat(),
            "period_end": day.isoformat(),
            "kind": "other",
        },
    )


def dibao_granted(h: Household, county: County, send: Numbering) -> Message:
    """Civil affairs' subsistence allowance (低保) of a household registered
    with it, from the first of the year."""
    h.dibao_yuan = 150.0 * h.members  # ASSUMPTION: the allowance's gap, a month
    return send(
        "assistance.changed",
        h,
        county.start - timedelta(days=1),
        "civil-affairs",
        {
            "scheme": "dibao",
            "status": "granted",
            "effective_from": county.start.replace(month=1, day=1).isoformat(),
            "monthly_yuan": f"{h.dibao_yuan:.2f}",
        },
    )


def loan_issued(
    h: Household, county: County, rng: random.Random, rates: Rates, send: Numbering
) -> Iterator[Message]:
    """The bank's microcredit (小额信贷) to a share of the households, issued
    on the first month's first day for a year."""
    if rng.random() >= rates.loan_share:
        return
    first, _ = month(county.start, 0)
    h.loan = (
        f"L{h.code[-6:]}",
        float(rng.choice((5000, 10000, 20000, 30000, 50000))),
        first + timedelta(days=365),
    )
    yield send(
        "loan.issued",
        h,
        first,
        "rural-commercial-bank",
        {
            "loan_id": h.loan[0],
            "principal_yuan": f"{h.loan[1]:.2f}",
            "due_date": h.loan[2].isoformat(),
        },
    )


def income(h: Household, first: date, last: date, rng: random.Random, send: Numbering) -> Message:
    """Agriculture's monthly income of a registered household."""
    amount = max(0.0, rng.gauss(h.pci * h.members / 12, h.pci * h.members / 60))
    return send(
        "income.reported",
        h,
        last,
        "agriculture",
        {
            "amount_yuan": f"{amount:.2f}",
            "period_start": first.isoformat(),
            "period_end": last.isoformat(),
            "kind": rng.choice(("wage", "agriculture", "business")),
        },
    )


def illness(
    h: Household,
    first: date,
    rng: random.Random,
    std: random.Random,
    rates: Rates,
    send: Numbering,
) -> Iterator[Message]:
    """Medical insurance's hospital stays; a household unknown to the registry
    falls ill more often (it is how screening finds it)."""
    known = h.card is not None
    if not (rng.random() < rates.illness or (not known and rng.random() < 0.1)):
        return
    r = rng.random()
    severity = (
        "major"
        if r < rates.major_share
        else "chronic"
        if r < rates.major_share + rates.chronic_share
        else "minor"
    )
    total = {
        "major": rng.uniform(20000, 120000),
        "chronic": rng.uniform(2000, 15000),
        "minor": rng.uniform(200, 3000),
    }[severity]
    # Registered people's stays reach the six-layer cover's share
    # (plan §3(2)2: 85%), a few fall short; the shortfall is the standard's
    # draw, so the other departments' messages stay what they were.
    share = (0.7 if std.random() < 0.03 else 0.9) if known else 0.6
    yield send(
        "illness.reported",
        h,
        first + timedelta(days=rng.randrange(28)),
        "medical-insurance",
        {
            "person_ref": f"m{rng.randrange(1, h.members + 1)}",
            "severity": severity,
            "total_cost_yuan": f"{total:.2f}",
            "reimbursed_yuan": f"{total * share:.2f}",
            "in_county": rng.random() < 0.8,
        },
    )


def disaster(
    h: Household, first: date, flooded: bool, rng: random.Random, rates: Rates, send: Numbering
) -> Iterator[Message]:
    """Emergency management's losses: every household of a flooded village,
    and now and then an accident."""
    if not (flooded or rng.random() < rates.accident):
        return
    damage = "none"
    if rng.random() < rates.house_damage_in_flood:
        damage = rng.choice(("C", "C", "D"))
    yield send(
        "disaster.reported",
        h,
        first + timedelta(days=14),
        "emergency-management",
        {
            "kind": "flood" if flooded else "accident",
            "loss_yuan": f"{rng.uniform(500, 40000):.2f}",
            "housing_damage": damage,
        },
    )


def employment(
    h: Household, first: date, rng: random.Random, rates: Rates, send: Numbering
) -> Iterator[Message]:
    """Human resources' job losses and finds of a registered household's
    labour-capable members."""
    for person, working in h.employed.items():
        if working and rng.random() < rates.job_loss:
            h.employed[person] = False
            yield send(
                "employment.changed",
                h,
                first + timedelta(days=10),
                "human-resources",
                {"person_ref": person, "status": "unemployed"},
            )
        elif not working and rng.random() < rates.job_found:
            h.employed[person] = True
            yield send(
                "employment.changed",
                h,
                first + timedelta(days=20),
                "human-resources",
                {
                    "person_ref": person,
                    "status": "employed",
                    "job_kind": rng.choice(("local", "migrant", "workshop", "public_welfare_post")),
                },
            )


def loan_month(
    h: Household, last: date, rng: random.Random, rates: Rates, send: Numbering
) -> Iterator[Message]:
    """The bank's month of a loan: an instalment repaid, or overdue."""
    if h.loan is None:
        return
    if rng.random() < rates.loan_overdue:
        yield send(
            "loan.overdue",
            h,
            last,
            "rural-commercial-bank",
            {
                "loan_id": h.loan[0],
                "days_overdue": rng.randrange(1, 120),
                "outstanding_yuan": f"{h.loan[1]:.2f}",
            },
        )
    else:
        yield send(
            "loan.repaid",
            h,
            last,
            "rural-commercial-bank",
            {"loan_id": h.loan[0], "amount_yuan": f"{h.loan[1] / 12:.2f}"},
        )
