"""The monthly report's section on the departments' feeds: for each source,
its last message, the month's accepted and rejected messages, the rejection
rate and the top reasons (in Chinese, naming the field), whether it has gone
silent past its cadence, and the county's households with stale income.
The figures are ``services/feeds/health.py``'s for the month."""

from __future__ import annotations

from collections.abc import Callable

from domain import countyday
from schemas.feeds import FeedHealth
from schemas.report import Cell, ReportSection, ReportTable
from services.infra.senders import TOPIC
from services.reports.sections import Provided, Provider, ReportContext


def _name(ctx: ReportContext, source: str) -> str:
    # Unsigned dead letters are their topic's, not a department's.
    if source.startswith(TOPIC):
        return f"未署名消息（{source.removeprefix(TOPIC)}）"
    return ctx.term("source", source)


def feeds(health: Callable[[str], FeedHealth]) -> Provider:
    def provide(ctx: ReportContext) -> Provided:
        figures = health(ctx.month)
        rows: list[list[Cell]] = []
        for s in figures.sources:
            reasons = "；".join(f"{r.reason_zh}（{r.messages}条）" for r in s.top_reasons[:3])
            last = countyday.day(s.last_message_at).isoformat() if s.last_message_at else "-"
            rows.append(
                [
                    _name(ctx, s.source), last, s.accepted, s.rejected,
                    f"{s.rejection_rate * 100:.1f}%", reasons or "-", "是" if s.silent else "否",
                ]
            )  # fmt: skip
        table = ReportTable(
            key="feeds", title="部门数据报送情况",
            columns=["部门", "最近一条", "本月接收", "本月拒收", "拒收率", "主要拒收原因", "超期未报"],
            rows=rows,
        )  # fmt: skip
        silent = [s.source for s in figures.sources if s.silent]
        return ReportSection(
            key="feeds", title="部门数据质量", tables=[table], charts=[],
            figures={
                "sources": len(figures.sources), "silent": silent,
                "rejected": sum(s.rejected for s in figures.sources),
                "accepted": sum(s.accepted for s in figures.sources),
                "stale_income_households": figures.stale_income_households,
            },
            basis="各部门报送周期见 feeds.toml（未经核实的为假设）；收入数据超过12个月未更新的户数为"
            f"{figures.stale_income_households}户。",
        ), []  # fmt: skip

    return provide
