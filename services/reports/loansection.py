"""The monthly report's section on the poverty micro-loans (脱贫人口小额信贷):
per township, the overdue ratio by balance (overdue balance over balance, as
banks compute it) and, second, by count, against plan §3(2)8's 1%, from the
risk status view's integer columns as they stand when the figures are
computed."""

from __future__ import annotations

from typing import Any

from domain.report import LOAN_OVERDUE_LIMIT, overdue_ratio, within_limit, yuan_of_fen
from schemas.report import Cell, ReportSection, ReportTable
from services.infra.viewreads import totals_by
from services.reports import charts
from services.reports.sections import Provided, Provider, ReportContext, _towns

SUMS = ("open_balance_fen", "overdue_balance_fen", "open_loans", "overdue_loans")


def _shown(ratio: Any) -> str:
    return "-" if ratio is None else f"{ratio * 100:.2f}%"


def _cells(s: dict[str, int]) -> list[Cell]:
    by_balance = overdue_ratio(s["open_balance_fen"], s["overdue_balance_fen"])
    by_count = overdue_ratio(s["open_loans"], s["overdue_loans"])
    return [
        str(yuan_of_fen(s["open_balance_fen"])), str(yuan_of_fen(s["overdue_balance_fen"])),
        _shown(by_balance), s["open_loans"], s["overdue_loans"], _shown(by_count),
        "是" if within_limit(by_balance) else "否",
    ]  # fmt: skip


def loans(risk: Any) -> Provider:
    def provide(ctx: ReportContext) -> Provided:
        sums = totals_by(risk, "township")
        towns = _towns([t for (t,) in sums])
        county = {k: sum(s[k] for s in sums.values()) for k in SUMS}
        per_town = [{k: sums[(t,)][k] for k in SUMS} for t in towns]
        rows: list[list[Cell]] = [
            [ctx.place(t), *_cells(s)] for t, s in zip(towns, per_town, strict=True)
        ]
        rows.append([ctx.word("Whole county"), *_cells(county)])
        table = ReportTable(
            key="loans", title="脱贫人口小额信贷逾期率（目标：1%以下）",
            columns=["乡镇", "贷款余额（元）", "逾期贷款余额（元）", "逾期率（按余额）",
                     "未结清贷款（笔）", "逾期贷款（笔）", "逾期率（按笔数）", "低于1%"],
            rows=rows,
        )  # fmt: skip
        by_balance = overdue_ratio(county["open_balance_fen"], county["overdue_balance_fen"])
        by_count = overdue_ratio(county["open_loans"], county["overdue_loans"])
        places = [ctx.place(t) for t in towns] + [ctx.word("Whole county")]
        everyone = [*per_town, county]
        series = {
            "按余额": [float(overdue_ratio(s["open_balance_fen"], s["overdue_balance_fen"]) or 0)
                    for s in everyone],
            "按笔数": [float(overdue_ratio(s["open_loans"], s["overdue_loans"]) or 0)
                    for s in everyone],
        }  # fmt: skip
        chart = charts.loans_chart(ctx.font, places, series, "脱贫人口小额信贷逾期率与1%控制线")
        figures = {
            "balance_yuan": str(yuan_of_fen(county["open_balance_fen"])),
            "overdue_balance_yuan": str(yuan_of_fen(county["overdue_balance_fen"])),
            "ratio": None if by_balance is None else str(by_balance), "basis": "balance",
            "open_loans": county["open_loans"], "overdue_loans": county["overdue_loans"],
            "ratio_by_count": None if by_count is None else str(by_count),
            "limit": str(LOAN_OVERDUE_LIMIT), "within_limit": within_limit(by_balance),
        }  # fmt: skip
        return ReportSection(
            key="loans", title="脱贫人口小额信贷", tables=[table], charts=["loans"], figures=figures,
            basis="方案§3(2)8：“将逾期率严格控制在1%以下”。逾期率按余额计（银行的算法）："
            "逾期贷款余额÷贷款余额，逾期贷款以其全部余额计；按笔数计的逾期率列于其后。"
            "余额为本金减已还款，银行逾期报告的余额较低时取银行的数（风险状态视图的合计列，"
            f"截至{ctx.as_of}）。",
        ), [chart]  # fmt: skip

    return provide
