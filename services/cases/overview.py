"""The county's picture of the procedure, per township: open cases by
stage, overdue stages, monitoring objects by category, cleared this month.
Read from the views' indexed columns (counts, not documents)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from services.cases.views import CaseView, MonitoringView


class TownshipRow(BaseModel):
    township: str | None
    by_stage: dict[str, int] = Field(default_factory=dict)
    open: int = 0
    overdue: int = 0  # open cases whose stage is past its deadline
    decision_overdue: int = 0  # open cases past the lead-to-decision deadline
    escalated: int = 0
    monitored: dict[str, int] = Field(default_factory=dict)  # by category
    cleared_this_month: int = 0


class Overview(BaseModel):
    on: date
    rows: list[TownshipRow]
    totals: TownshipRow


def overview(cases: CaseView, monitoring: MonitoringView, today: date) -> Overview:
    rows: dict[str | None, TownshipRow] = {}

    def row(t: str | None) -> TownshipRow:
        return rows.setdefault(t, TownshipRow(township=t))

    for (t, stage, esc), n in cases.counts("township", "stage", "escalation", phase="open").items():
        if stage is None:
            continue
        r = row(t)
        r.by_stage[stage] = r.by_stage.get(stage, 0) + n
        r.open += n
        if esc not in (None, "0"):
            r.escalated += n
    # Each deadline's late cases per township in one grouped count each (a
    # count per township read that township's cases from the table).
    day = today.isoformat()
    overdue = cases.counts("township", before=day, phase="open")
    late = cases.counts("township", before=("decision_key", day), phase="open")
    for t, r in rows.items():
        r.overdue, r.decision_overdue = overdue.get((t,), 0), late.get((t,), 0)
    month = today.isoformat()[:7]
    for (t, status, category, cleared), n in monitoring.counts(
        "township", "status", "category", "cleared_month"
    ).items():
        if status == "monitored" and category:
            r = row(t)
            r.monitored[category] = r.monitored.get(category, 0) + n
        elif status == "cleared" and cleared == month:
            row(t).cleared_this_month += n
    ordered = sorted(rows.values(), key=lambda r: (r.township is None, r.township or ""))
    totals = TownshipRow(township=None)
    for r in ordered:
        for k, v in r.by_stage.items():
            totals.by_stage[k] = totals.by_stage.get(k, 0) + v
        for k, v in r.monitored.items():
            totals.monitored[k] = totals.monitored.get(k, 0) + v
        totals.open += r.open
        totals.overdue += r.overdue
        totals.decision_overdue += r.decision_overdue
        totals.escalated += r.escalated
        totals.cleared_this_month += r.cleared_this_month
    return Overview(on=today, rows=ordered, totals=totals)
