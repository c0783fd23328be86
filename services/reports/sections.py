"""The monthly report's sections, each a provider: a function of the
report's context that reads its stores and returns its section and charts.
The report is the list of providers the bootstrap gives the job, so a new
section (the departments' feed health) is one more provider in that list.

Households and loans are counted from the risk status view's indexed and
integer columns (grouped queries, no document read); they are the view's
state when the figures are computed. Monitoring objects, help measures and
leads come from the records' dated history (periods, measure changes, cases'
opening), so they are the month's own figures whenever they are computed."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from domain import countyday
from domain.procedure import CATEGORIES
from domain.report import (
    LeadTally,
    Measure,
    MeasureTally,
    MonitoringTally,
    Period,
    by_first,
    stage_rows,
)
from domain.vocabulary import CARDS, LEVELS
from schemas.report import Cell, ReportChart, ReportSection, ReportTable
from services.infra.viewreads import every_document
from services.reports import charts

CHANNELS = ("department", "staff", "household", "job")
STAGES = ("verify", "crosscheck", "village_review", "notice", "township_review", "county_decision")
MEASURE_STATES = ("planned", "in_progress", "done", "cancelled")


@dataclass
class ReportContext:
    """What every provider is given: the month, the day its state-of-the-view
    figures stand for, Chinese words for codes, the charts' font."""

    month: str
    as_of: date
    term: Callable[[str, str | None], str]
    word: Callable[[str], str]
    font: Path
    _monitoring: list[Any] | None = field(default=None, repr=False)

    def place(self, township: str | None) -> str:
        return township or self.word("Not in the registry")

    def monitoring_docs(self, view: Any) -> list[Any]:
        """The monitoring records' documents, read once for every section."""
        if self._monitoring is None:
            self._monitoring = list(every_document(view))
        return self._monitoring


Provided = tuple[ReportSection, list[ReportChart]]
Provider = Callable[[ReportContext], Provided]


def _towns(keys: Sequence[str | None]) -> list[str | None]:
    return sorted(set(keys), key=lambda t: (t is None, t or ""))


def _rows(
    ctx: ReportContext, towns: Sequence[str | None], cells: Callable[[str | None], list[Cell]]
) -> list[list[Cell]]:
    """A row per township, then the county's (the column sums)."""
    rows: list[list[Cell]] = [[ctx.place(t), *cells(t)] for t in towns]
    width = len(rows[0]) - 1 if rows else len(cells(None))
    totals = [sum(int(r[i + 1] or 0) for r in rows) for i in range(width)]
    return [*rows, [ctx.word("Whole county"), *totals]]


def households(risk: Any) -> Provider:
    def provide(ctx: ReportContext) -> Provided:
        counts = risk.counts("township", "card", "level")
        towns = _towns([t for t, _, _ in counts])

        def cells(t: str | None) -> list[Cell]:
            mine = {(c, lv): n for (tt, c, lv), n in counts.items() if tt == t}
            by_card = [sum(n for (c, _), n in mine.items() if c == card) for card in CARDS]
            unregistered = sum(n for (c, _), n in mine.items() if c is None)
            by_level = [sum(n for (_, lv), n in mine.items() if lv == lev) for lev in LEVELS]
            return [sum(mine.values()), *by_card, unregistered, *by_level]

        columns = [
            "乡镇", "总户数", *(ctx.term("card", c) for c in CARDS), "未建档",
            *(f"风险{ctx.term('level', lv)}" for lv in LEVELS),
        ]  # fmt: skip
        table = ReportTable(
            key="households", title="各乡镇农户：按卡别与风险等级", columns=columns,
            rows=_rows(ctx, towns, cells),
        )  # fmt: skip
        figures = {
            "by_township": [
                {"township": t, "card": c, "level": lv, "households": n}
                for (t, c, lv), n in sorted(counts.items(), key=lambda kv: str(kv[0]))
            ]
        }
        return ReportSection(
            key="households", title="农户与风险等级", tables=[table], figures=figures,
            basis=f"风险状态视图的分组计数，截至{ctx.as_of}。",
        ), []  # fmt: skip

    return provide


def _periods(doc: Any) -> list[Period]:
    return [
        Period(p.get("category"), date.fromisoformat(str(p["from"])),
               date.fromisoformat(str(p["to"])) if p.get("to") else None)
        for p in doc.periods
    ]  # fmt: skip


def monitoring(view: Any) -> Provider:
    def provide(ctx: ReportContext) -> Provided:
        tally = MonitoringTally(ctx.month)
        for doc in ctx.monitoring_docs(view):
            tally.add(doc.township, _periods(doc))
        towns = _towns([t for t, _ in (*tally.objects, *tally.new, *tally.cleared)])
        cat_names = [ctx.term("category", c) for c in CATEGORIES]

        def cells(t: str | None) -> list[Cell]:
            objects = [tally.objects[(t, c)] for c in CATEGORIES]
            new = sum(n for (tt, _), n in tally.new.items() if tt == t)
            cleared = sum(n for (tt, _), n in tally.cleared.items() if tt == t)
            return [sum(objects), *objects, new, cleared]

        table = ReportTable(
            key="monitoring", title="监测对象：按类别，本月新增与风险消除",
            columns=["乡镇", "月末监测对象", *cat_names, "本月新增", "本月风险消除"],
            rows=_rows(ctx, towns, cells),
        )  # fmt: skip
        trend_towns = _towns(list(tally.trend))
        trend = ReportTable(
            key="trend", title="近12个月各乡镇月末监测对象",
            columns=["乡镇", *tally.months],
            rows=_rows(ctx, trend_towns, lambda t: list(tally.trend.get(t, []))),
        )  # fmt: skip
        series = {ctx.place(t): tally.trend[t] for t in trend_towns}
        chart = charts.trend_chart(ctx.font, tally.months, series, "近12个月监测对象（户）")
        figures = {
            "objects": by_first(tally.objects),
            "new": sum(tally.new.values()),
            "cleared": sum(tally.cleared.values()),
            "by_category": {c: sum(tally.objects[(t, c)] for t in towns) for c in CATEGORIES},
            "trend": {"months": tally.months, "by_township": tally.trend},
        }
        return ReportSection(
            key="monitoring", title="监测对象", tables=[table, trend], charts=["trend"],
            figures=_keyed(figures),
            basis="由监测记录的监测期计算：月末仍在监测期内的为监测对象；"
            "风险消除后再次纳入的，以新的监测期计入当月新增。",
        ), [chart]  # fmt: skip

    return provide


def _keyed(figures: dict[str, Any]) -> dict[str, Any]:
    """JSON keys are text: a township of None is written as an empty key."""
    out: dict[str, Any] = {}
    for k, v in figures.items():
        out[k] = _keyed(v) if isinstance(v, dict) else v
        if isinstance(v, dict):
            out[k] = {("" if kk is None else kk): vv for kk, vv in out[k].items()}
    return out


def _cases(view: Any) -> Iterator[Any]:
    return every_document(view)


def leads(case_view: Any) -> Provider:
    def provide(ctx: ReportContext) -> Provided:
        tally = LeadTally(ctx.month)
        for case in _cases(case_view):
            if case.kind == "identification":
                tally.add(case.township, case.channel, countyday.day(case.opened_at))
        towns = _towns([t for t, _ in tally.channels])
        table = ReportTable(
            key="leads", title="本月线索：按来源渠道（新启动识别）",
            columns=["乡镇", "合计", *(ctx.term("channel", c) for c in CHANNELS)],
            rows=_rows(ctx, towns, lambda t: [
                sum(n for (tt, _), n in tally.channels.items() if tt == t),
                *(tally.channels[(t, c)] for c in CHANNELS),
            ]),
        )  # fmt: skip
        figures = {c: sum(n for (_, cc), n in tally.channels.items() if cc == c) for c in CHANNELS}
        return ReportSection(
            key="leads", title="线索来源", tables=[table], figures={"by_channel": figures},
            basis="本月启动的监测对象识别，按首条线索的渠道计。",
        ), []  # fmt: skip

    return provide


def stages(case_view: Any) -> Provider:
    def provide(ctx: ReportContext) -> Provided:
        day = ctx.as_of.isoformat()
        open_ = case_view.counts("township", "stage", phase="open")
        late = case_view.counts("township", "stage", before=day, phase="open")
        by_stage = stage_rows(_sum_by(open_, 1), _sum_by(late, 1), STAGES)
        names = [ctx.term("stage", r.stage) for r in by_stage]
        table = ReportTable(
            key="stages", title="在办环节：按期与超期", columns=["环节", "在办", "按期", "超期"],
            rows=[[n, r.open, r.on_time, r.overdue] for n, r in zip(names, by_stage, strict=True)],
        )  # fmt: skip
        towns = _towns([t for t, _ in open_])
        per_town = ReportTable(
            key="stages_townships", title="各乡镇在办环节", columns=["乡镇", "在办", "超期"],
            rows=_rows(ctx, towns, lambda t: [
                sum(n for (tt, _), n in open_.items() if tt == t),
                sum(n for (tt, _), n in late.items() if tt == t),
            ]),
        )  # fmt: skip
        chart = charts.stages_chart(
            ctx.font, names, [r.on_time for r in by_stage], [r.overdue for r in by_stage],
            f"在办环节按期与超期（截至{ctx.as_of}）",
        )  # fmt: skip
        figures = {r.stage: {"open": r.open, "on_time": r.on_time, "overdue": r.overdue}
                   for r in by_stage}  # fmt: skip
        return ReportSection(
            key="stages", title="办理时限", tables=[table, per_town], charts=["stages"],
            figures={"by_stage": figures},
            basis=f"识别和消除事项视图的分组计数：截至{ctx.as_of}仍在办的环节，期限早于当日的为超期。",
        ), [chart]  # fmt: skip

    return provide


def _sum_by(counts: dict[tuple[Any, ...], int], i: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, n in counts.items():
        if key[i] is not None:
            out[key[i]] = out.get(key[i], 0) + n
    return out


def measures(view: Any) -> Provider:
    def provide(ctx: ReportContext) -> Provided:
        tally = MeasureTally(ctx.month)
        for doc in ctx.monitoring_docs(view):
            tally.add(
                Measure(m.kind, m.department, countyday.day(m.added_at),
                        [(countyday.day(c["at"] if hasattr(c["at"], "date") else
                                        datetime.fromisoformat(str(c["at"]))), c["state"])
                         for c in m.changes[1:]])
                for m in doc.plan
            )  # fmt: skip
        keys = sorted(tally.planned)
        table = ReportTable(
            key="measures", title="帮扶措施：按类别与责任部门",
            columns=["措施", "责任部门", "累计安排", "本月新增",
                     *(ctx.term("measurestate", s) for s in MEASURE_STATES)],
            rows=[[ctx.term("measure", k), d, tally.planned[(k, d)], tally.added[(k, d)],
                   *(tally.states[(k or "", d or "", s)] for s in MEASURE_STATES)]
                  for k, d in keys],
        )  # fmt: skip
        figures = {
            "planned": sum(tally.planned.values()),
            "added": sum(tally.added.values()),
            "by_state": {s: sum(n for (_, _, ss), n in tally.states.items() if ss == s)
                         for s in MEASURE_STATES},
        }  # fmt: skip
        return ReportSection(
            key="measures", title="帮扶措施", tables=[table], figures=figures,
            basis="一户一策的帮扶措施，状态为月末所处状态。",
        ), []  # fmt: skip

    return provide
