"""A handful of department events, dated relative to a given day, that show
each kind of risk, in two of Xiangyin's townships. Tests publish them and
reuse the builder."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

CST = timezone(timedelta(hours=8))


class Builder:
    """Builds contract-shaped messages with unique event ids."""

    def __init__(self, prefix: str = "evt") -> None:
        self.prefix, self.n = prefix, 0

    def event(
        self, kind: str, household_id: str, on: date, data: dict[str, Any], source: str = "registry"
    ) -> dict[str, Any]:
        self.n += 1
        return {
            "event_id": f"{self.prefix}-{self.n:06d}",
            "type": kind,
            "household_id": household_id,
            "occurred_at": datetime.combine(on, time(9, 0), CST).isoformat(),
            "source": source,
            "schema_version": 1,
            "data": data,
        }

    def register(
        self,
        hid: str,
        on: date,
        card: str,
        members: int = 3,
        labour: int = 2,
        township: str = "Jinlong",
        village: str = "Xinquan",
        flags: list[str] | None = None,
        head_name: str | None = None,
    ):
        return self.event(
            "household.registered",
            hid,
            on,
            {
                "township": township,
                "village": village,
                "members": members,
                "labour_capable": labour,
                "card": card,
                "flags": flags or [],
                **({"head_name": head_name} if head_name else {}),
            },
            source="poverty-office",
        )

    def income(self, hid: str, on: date, amount: str, start: date, end: date, kind: str = "wage"):
        return self.event(
            "income.reported",
            hid,
            on,
            {
                "amount_yuan": amount,
                "period_start": start.isoformat(),
                "period_end": end.isoformat(),
                "kind": kind,
            },
            source="agriculture",
        )

    def illness(
        self,
        hid: str,
        on: date,
        total: str,
        reimbursed: str,
        severity: str = "major",
        person: str = "p1",
        in_county: bool = True,
        referred: bool | None = None,
    ):
        data: dict[str, object] = {
            "person_ref": person,
            "severity": severity,
            "total_cost_yuan": total,
            "reimbursed_yuan": reimbursed,
            "in_county": in_county,
        }
        if referred is not None:
            data["referred"] = referred
        return self.event("illness.reported", hid, on, data, source="medical-insurance")

    def disaster(self, hid: str, on: date, loss: str, damage: str = "none", kind: str = "flood"):
        return self.event(
            "disaster.reported",
            hid,
            on,
            {"kind": kind, "loss_yuan": loss, "housing_damage": damage},
            source="emergency-management",
        )

    def employment(self, hid: str, on: date, person: str, status: str, job_kind: str | None = None):
        data: dict[str, Any] = {"person_ref": person, "status": status}
        if job_kind:
            data["job_kind"] = job_kind
        return self.event("employment.changed", hid, on, data, source="human-resources")

    def loan(self, hid: str, on: date, loan_id: str, principal: str, due: date):
        return self.event(
            "loan.issued",
            hid,
            on,
            {"loan_id": loan_id, "principal_yuan": principal, "due_date": due.isoformat()},
            source="rural-commercial-bank",
        )

    def overdue(self, hid: str, on: date, loan_id: str, days: int, outstanding: str):
        return self.event(
            "loan.overdue",
            hid,
            on,
            {"loan_id": loan_id, "days_overdue": days, "outstanding_yuan": outstanding},
            source="rural-commercial-bank",
        )

    # The standard's departments (plan §3(2)).

    def schooling(
        self,
        hid: str,
        on: date,
        person: str,
        status: str,
        reason: str | None = None,
        stage: str = "junior_secondary",
    ):
        data: dict[str, Any] = {"person_ref": person, "status": status, "stage": stage}
        if reason:
            data["reason"] = reason
        return self.event("schooling.reported", hid, on, data, source="education")

    def insurance(self, hid: str, on: date, person: str, status: str, year: int | None = None):
        return self.event(
            "insurance.changed",
            hid,
            on,
            {"person_ref": person, "status": status, "year": year or on.year},
            source="medical-insurance",
        )

    def housing(self, hid: str, on: date, rating: str, rated_on: date | None = None):
        return self.event(
            "housing.rated",
            hid,
            on,
            {"rating": rating, "rated_on": (rated_on or on).isoformat()},
            source="housing",
        )

    def water(self, hid: str, on: date, failing: list[str] | None = None, supply: str = "central"):
        return self.event(
            "water.checked",
            hid,
            on,
            {"supply": supply, "meets_standard": not failing, "failing": failing or []},
            source="water",
        )

    def assistance(
        self,
        hid: str,
        on: date,
        scheme: str,
        status: str,
        monthly: str | None = None,
        person: str | None = None,
        effective: date | None = None,
    ):
        data: dict[str, Any] = {
            "scheme": scheme,
            "status": status,
            "effective_from": (effective or on).isoformat(),
        }
        if monthly is not None:
            data["monthly_yuan"] = monthly
        if person is not None:
            data["person_ref"] = person
        return self.event("assistance.changed", hid, on, data, source="civil-affairs")

    def members(
        self,
        hid: str,
        on: date,
        change: str,
        person: str,
        effective: date | None = None,
        able=False,
    ):
        return self.event(
            "household.members_changed",
            hid,
            on,
            {
                "change": change,
                "person_ref": person,
                "effective_on": (effective or on).isoformat(),
                "able_to_work": able,
            },
            source="poverty-office",
        )


def sample_events(today: date, prefix: str = "sample") -> list[dict[str, Any]]:
    b = Builder(prefix)
    year_ago = today - timedelta(days=365)
    last_year = (year_ago, today - timedelta(days=1))
    d = lambda days: today - timedelta(days=days)  # noqa: E731
    return [
        # A yellow-card family whose income fell below the line.
        b.register(
            "430624-0001",
            d(300),
            "yellow",
            members=3,
            labour=2,
            township="金龙镇",
            village="荷花村",
        ),
        b.income("430624-0001", d(2), "21000.00", *last_year),
        # A blue-card (marginal) family hit by a major illness.
        b.register(
            "430624-0002", d(300), "blue", members=4, labour=2, township="金龙镇", village="石塘村"
        ),
        b.income("430624-0002", d(2), "35200.00", *last_year),
        b.illness("430624-0002", d(20), "68000.00", "41000.00"),
        # A stable green-card family: no risk.
        b.register(
            "430624-0003", d(300), "green", members=2, labour=2, township="岭北镇", village="新安村"
        ),
        b.income("430624-0003", d(2), "30000.00", *last_year),
        # A green-card family whose house a flood left rated D.
        b.register(
            "430624-0004", d(300), "green", members=5, labour=3, township="岭北镇", village="沙河村"
        ),
        b.income("430624-0004", d(30), "60000.00", *last_year),
        b.disaster("430624-0004", d(10), "46000.00", damage="D"),
        # A relocated yellow-card family where everyone able to work lost their job.
        b.register(
            "430624-0005",
            d(300),
            "yellow",
            members=4,
            labour=2,
            flags=["relocated"],
            township="金龙镇",
            village="荷花村",
        ),
        b.income("430624-0005", d(5), "34000.00", *last_year),
        b.employment("430624-0005", d(15), "p1", "unemployed"),
        b.employment("430624-0005", d(14), "p2", "unemployed"),
        b.loan("430624-0005", d(400), "L-77", "20000.00", d(35)),
        # A family the registry does not know, found by the medical insurance data.
        b.illness("430624-9001", d(7), "52000.00", "21000.00"),
    ]


def encode(message: dict[str, Any]) -> tuple[bytes, bytes]:
    return message["household_id"].encode(), json.dumps(message, ensure_ascii=False).encode()
